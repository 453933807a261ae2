"""Meta's official Python SDK (facebook-business) reading every lead from a Graph API server.

The reference for `leadvault-bench sync`: what an app built on the SDK does to read a
connection's leads. It reads the pages the token's user manages (`/me/accounts`, each with its
page token), each page's lead forms with that page's token, as a real app must, and each form's
leads with the fields and page size the bench gives, following every cursor page. It keeps
nothing: each lead is counted, its id folded into a checksum, and dropped.

Input (environment, so the token is never on a command line):
  LEADVAULT_BENCH_GRAPH_URL      the server, e.g. http://127.0.0.1:PORT (the SDK's Graph host)
  LEADVAULT_BENCH_META_TOKEN     the user or system-user token
  LEADVAULT_BENCH_GRAPH_VERSION  e.g. v26.0
  LEADVAULT_BENCH_LEAD_FIELDS    the lead fields, comma-separated
  LEADVAULT_BENCH_PAGE_SIZE      leads per request
Output: one JSON object on stdout (counts, checksum, timings, versions; no lead data, no
token). A failure is one line on stderr and exit code 1; no URL, parameter or token in it.
"""

import time

STARTED = time.perf_counter()

import hashlib  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402


def fail(message):
    print(message, file=sys.stderr)
    sys.exit(1)


def main():
    try:
        from importlib.metadata import version

        from facebook_business.adobjects.leadgenform import LeadgenForm
        from facebook_business.adobjects.page import Page
        from facebook_business.adobjects.user import User
        from facebook_business.api import FacebookAdsApi
        from facebook_business.exceptions import FacebookRequestError
        from facebook_business.session import FacebookSession
    except ImportError as e:
        fail(f"facebook-business is not installed for this Python ({e.name}); run scripts/bench-sync.sh")
    imported = time.perf_counter()

    env = os.environ
    graph_url = env["LEADVAULT_BENCH_GRAPH_URL"].rstrip("/")
    token = env["LEADVAULT_BENCH_META_TOKEN"]
    api_version = env["LEADVAULT_BENCH_GRAPH_VERSION"]
    fields = env["LEADVAULT_BENCH_LEAD_FIELDS"].split(",")
    page_size = int(env["LEADVAULT_BENCH_PAGE_SIZE"])

    # The SDK builds every URL from FacebookSession.GRAPH (https://graph.facebook.com).
    FacebookSession.GRAPH = graph_url
    # crash_log=False: the SDK's crash reporter would otherwise post tracebacks to Meta.
    user_api = FacebookAdsApi.init(access_token=token, api_version=api_version, crash_log=False)
    apis = [user_api]

    leads = pages = forms = 0
    checksum = 0
    last_usage = None
    try:
        accounts = User(fbid="me", api=user_api).get_accounts(
            fields=["id", "name", "access_token"], params={"limit": 100}
        )
        for account in accounts:
            pages += 1
            # The page's own token reads its forms and leads.
            page_api = FacebookAdsApi(
                FacebookSession(access_token=account["access_token"]), api_version=api_version
            )
            apis.append(page_api)
            page_forms = Page(account["id"], api=page_api).get_lead_gen_forms(
                fields=["id", "name", "status"], params={"limit": 100}
            )
            for form in page_forms:
                forms += 1
                cursor = LeadgenForm(form["id"], api=page_api).get_leads(
                    fields=fields, params={"limit": page_size}
                )
                for lead in cursor:
                    leads += 1
                    digest = hashlib.sha256(lead["id"].encode()).digest()
                    checksum = (checksum + int.from_bytes(digest[:8], "big")) & 0xFFFFFFFFFFFFFFFF
                last_usage = cursor.headers().get("x-app-usage")
    except FacebookRequestError as e:
        fail(
            f"the SDK's request failed: HTTP {e.http_status()}, Graph error code {e.api_error_code()}"
            f" (subcode {e.api_error_subcode()})"
        )
    except Exception as e:  # noqa: BLE001 - one line, without the message (it can hold a URL)
        fail(f"the SDK failed: {type(e).__name__}")
    finished = time.perf_counter()

    usage = None
    if last_usage:
        try:
            usage = json.loads(last_usage).get("call_count")
        except ValueError:
            usage = None
    print(
        json.dumps(
            {
                "leads": leads,
                "pages": pages,
                "forms": forms,
                "requests": sum(a.get_num_requests_attempted() for a in apis),
                "checksum": f"{checksum:016x}",
                "import_secs": imported - STARTED,
                "read_secs": finished - imported,
                "app_usage_percent": usage,
                "sdk_version": version("facebook-business"),
                "python_version": sys.version.split()[0],
            }
        )
    )


if __name__ == "__main__":
    main()
