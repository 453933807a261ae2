//! The `leadvault-fakes serve` binary: one JSON line per provider, each fake answering with
//! the printed token.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use serde_json::Value;

struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn serve_prints_one_line_per_provider_and_the_tokens_work() {
    let mut child = Child(
        Command::new(env!("CARGO_BIN_EXE_leadvault-fakes"))
            .args(["serve", "--seed", "9", "--leads", "120"])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut lines = BufReader::new(child.0.stdout.take().unwrap()).lines();
    let mut fakes = Vec::new();
    for _ in 0..5 {
        let line: Value = serde_json::from_str(&lines.next().unwrap().unwrap()).unwrap();
        fakes.push(line);
    }
    let providers: Vec<&str> = fakes.iter().map(|f| f["provider"].as_str().unwrap()).collect();
    assert_eq!(providers, ["meta", "google-ads", "hubspot", "pipedrive", "salesforce"]);
    let client = reqwest::Client::new();
    for fake in &fakes {
        let base = fake["base_url"].as_str().unwrap();
        assert!(base.starts_with("http://127.0.0.1:"));
        let token = fake["token"].as_str().unwrap();
        let request = match fake["provider"].as_str().unwrap() {
            "meta" => client.get(format!("{base}/v26.0/me")).query(&[("access_token", token)]),
            "google-ads" => {
                client.get(format!("{base}/v26/customers:listAccessibleCustomers")).bearer_auth(token)
            }
            "hubspot" => client.get(format!("{base}/account-info/v3/details")).bearer_auth(token),
            "pipedrive" => client.get(format!("{base}/api/v1/users/me")).header("x-api-token", token),
            _ => client.get(format!("{base}/services/oauth2/userinfo")).bearer_auth(token),
        };
        let status = request.send().await.unwrap().status();
        assert_eq!(status, 200, "{fake}");
    }
    // The Google Ads fake holds the 120 leads asked for.
    let base = fakes[1]["base_url"].as_str().unwrap();
    let token = fakes[1]["token"].as_str().unwrap();
    let customers: Value = client
        .get(format!("{base}/v26/customers:listAccessibleCustomers"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let cid = customers["resourceNames"][0].as_str().unwrap().trim_start_matches("customers/").to_string();
    let rows: Value = client
        .post(format!("{base}/v26/customers/{cid}/googleAds:search"))
        .bearer_auth(token)
        .json(&serde_json::json!({"query": "SELECT lead_form_submission_data.id FROM lead_form_submission_data"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(rows["results"].as_array().unwrap().len(), 120);
}

#[tokio::test]
async fn the_meta_app_budget_can_be_set() {
    let mut child = Child(
        Command::new(env!("CARGO_BIN_EXE_leadvault-fakes"))
            .args(["serve", "--meta-calls-per-hour", "2"])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    // All five lines read (and the pipe kept open): a closed pipe would fail the server's prints.
    let mut lines = BufReader::new(child.0.stdout.take().unwrap()).lines();
    let first: Vec<String> = (0..5).map(|_| lines.next().unwrap().unwrap()).collect();
    let meta: Value = serde_json::from_str(&first[0]).unwrap();
    assert_eq!(meta["provider"], "meta");
    let url = format!("{}/v26.0/me", meta["base_url"].as_str().unwrap());
    let token = meta["token"].as_str().unwrap();
    let client = reqwest::Client::new();
    let mut answers = Vec::new();
    for _ in 0..3 {
        let response = client.get(&url).query(&[("access_token", token)]).send().await.unwrap();
        let usage = response.headers().get("x-app-usage").map(|v| v.to_str().unwrap().to_string());
        let body: Value = response.json().await.unwrap();
        answers.push((usage, body["error"]["code"].as_u64()));
    }
    assert!(answers[0].0.as_deref().unwrap().contains("\"call_count\":50"), "{answers:?}");
    assert!(answers[1].0.as_deref().unwrap().contains("\"call_count\":100"), "{answers:?}");
    assert_eq!(answers[2].1, Some(4), "the third call of two an hour is refused: {answers:?}");
}

#[test]
fn bad_arguments_exit_with_usage() {
    let out = Command::new(env!("CARGO_BIN_EXE_leadvault-fakes"))
        .args(["serve", "--leads", "many"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("usage: leadvault-fakes serve"));
}
