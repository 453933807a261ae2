//! `leadvault-fakes serve [--seed S] [--leads N] [--port-base P] [--fault-rate P]
//! [--meta-calls-per-hour N]`: starts the five provider fakes on 127.0.0.1 and prints one JSON
//! object per line per provider, `{"provider":"meta","base_url":"http://127.0.0.1:PORT","token":"…"}`,
//! then serves until interrupted. `token` is a long-lived token the fake accepts when pasted
//! (the same for the same seed); `--leads N` is how many leads each lead source (Meta, Google
//! Ads) holds; `--port-base P` binds P, P+1, … in the order meta, google-ads, hubspot,
//! pipedrive, salesforce (ephemeral ports otherwise); `--fault-rate P` fails that share of API
//! requests with a 503 in the provider's format; `--meta-calls-per-hour N` sets Meta's hourly
//! app budget (`X-App-Usage`, code 4 when spent; default 4,800, 0 for none), so a benchmark
//! that reads more than a few hundred thousand leads is not throttled by it.

use std::process::ExitCode;

use leadvault_fakes::{Fake, Limits, Options, Provider};

const USAGE: &str = "usage: leadvault-fakes serve [--seed S] [--leads N] [--port-base P] [--fault-rate P] [--meta-calls-per-hour N]
  --meta-calls-per-hour N  Meta's hourly app budget (X-App-Usage; code 4 when spent); default 4800, 0 for none";

struct Args {
    seed: u64,
    leads: u64,
    port_base: Option<u16>,
    fault_rate: f64,
    meta_calls_per_hour: u32,
}

fn parse(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    match args.next().as_deref() {
        Some("serve") => {}
        Some("-h" | "--help") | None => return Err(USAGE.into()),
        Some(other) => return Err(format!("unknown command '{other}'\n{USAGE}")),
    }
    let mut parsed = Args {
        seed: 1,
        leads: 500,
        port_base: None,
        fault_rate: 0.0,
        meta_calls_per_hour: Limits::default().meta_calls_per_hour,
    };
    while let Some(flag) = args.next() {
        let (name, inline) = match flag.split_once('=') {
            Some((n, v)) => (n.to_string(), Some(v.to_string())),
            None => (flag.clone(), None),
        };
        if name == "-h" || name == "--help" {
            return Err(USAGE.into());
        }
        let value = inline.or_else(|| args.next()).ok_or_else(|| format!("{name} needs a value\n{USAGE}"))?;
        let bad = |_| format!("{name}: '{value}' is not a valid value\n{USAGE}");
        match name.as_str() {
            "--seed" => parsed.seed = value.parse().map_err(bad)?,
            "--leads" => parsed.leads = value.parse().map_err(bad)?,
            "--port-base" => parsed.port_base = Some(value.parse().map_err(bad)?),
            "--meta-calls-per-hour" => parsed.meta_calls_per_hour = value.parse().map_err(bad)?,
            "--fault-rate" => {
                let rate: f64 =
                    value.parse().map_err(|_| format!("{name}: '{value}' is not a number\n{USAGE}"))?;
                if !(0.0..=1.0).contains(&rate) {
                    return Err(format!("--fault-rate must be between 0 and 1\n{USAGE}"));
                }
                parsed.fault_rate = rate;
            }
            _ => return Err(format!("unknown option '{name}'\n{USAGE}")),
        }
    }
    Ok(parsed)
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match parse(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let mut fakes = Vec::new();
    for (i, provider) in Provider::ALL.into_iter().enumerate() {
        let port = match args.port_base {
            Some(base) => match base.checked_add(i as u16) {
                Some(p) => p,
                None => {
                    eprintln!("--port-base {base} leaves no room for five ports");
                    return ExitCode::from(2);
                }
            },
            None => 0,
        };
        let options = Options {
            seed: args.seed,
            leads: args.leads,
            port,
            fault_rate: args.fault_rate,
            limits: Limits { meta_calls_per_hour: args.meta_calls_per_hour, ..Limits::default() },
            ..Options::default()
        };
        match Fake::start_with(provider, options).await {
            Ok(fake) => {
                let line = serde_json::json!({
                    "provider": provider.slug(),
                    "base_url": fake.base_url(),
                    "token": fake.demo_token(),
                });
                println!("{line}");
                fakes.push(fake);
            }
            Err(e) => {
                eprintln!("{}: cannot bind 127.0.0.1:{port}: {e}", provider.slug());
                return ExitCode::FAILURE;
            }
        }
    }
    let _ = tokio::signal::ctrl_c().await;
    drop(fakes);
    ExitCode::SUCCESS
}
