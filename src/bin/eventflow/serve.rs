//! `eventflow serve AGENT.json... [--listen ADDR] [--store DIR|redis://...|postgres://...] [--api-key KEY]...
//! [--allow-origin ORIGIN]...`: the runtime server (`eventflow::server`, `docs/server.md`).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use eventflow::server::{Options, StoreSpec};

const USAGE: &str = "usage: eventflow serve AGENT.json... [--listen 127.0.0.1:8080] \
[--store DIR | redis://HOST:PORT | postgres://USER@HOST:PORT/DB] [--api-key KEY]... [--allow-origin ORIGIN]...

Each agent is served as the project whose projectID is its name. API keys may also come from
EVENTFLOW_API_KEYS (comma-separated). The store defaults to the directory eventflow-data.";

pub fn main(args: &[String]) -> ExitCode {
    if args.iter().any(|a| a == "-h" || a == "--help") {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let env_keys = std::env::var("EVENTFLOW_API_KEYS").unwrap_or_default();
    let options = match parse(args, &env_keys) {
        Ok(o) => o,
        Err(m) => {
            eprintln!("eventflow serve: {m}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("eventflow serve: cannot start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(eventflow::server::run(options)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("eventflow serve: {e}");
            ExitCode::from(1)
        }
    }
}

fn parse(args: &[String], env_keys: &str) -> Result<Options, String> {
    let mut options = Options {
        agents: Vec::new(),
        listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
        store: StoreSpec::Dir(PathBuf::from("eventflow-data")),
        api_keys: env_keys.split(',').map(str::trim).filter(|k| !k.is_empty()).map(String::from).collect(),
        allow_origins: Vec::new(),
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = |name: &str| it.next().cloned().ok_or(format!("{name} needs a value"));
        match a.as_str() {
            "--listen" => {
                let v = value("--listen")?;
                options.listen =
                    v.parse().map_err(|_| format!("--listen takes HOST:PORT, like 127.0.0.1:8080, not '{v}'"))?;
            }
            "--store" => options.store = StoreSpec::parse(&value("--store")?),
            "--api-key" => options.api_keys.push(value("--api-key")?),
            "--allow-origin" => options.allow_origins.push(value("--allow-origin")?.trim_end_matches('/').to_string()),
            other if other.starts_with("--") => return Err(format!("unknown option '{other}'")),
            agent => options.agents.push(PathBuf::from(agent)),
        }
    }
    if options.agents.is_empty() {
        return Err("give at least one agent file".into());
    }
    Ok(options)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn options_are_read() {
        let o = parse(
            &args("a.json --listen 127.0.0.1:0 --store redis://h:1 --api-key k b.json --allow-origin https://x.org/"),
            "e1, e2",
        )
        .unwrap();
        assert_eq!(o.agents, vec![PathBuf::from("a.json"), PathBuf::from("b.json")]);
        assert_eq!(o.listen.port(), 0);
        assert_eq!(o.store, StoreSpec::Redis("redis://h:1".into()));
        assert_eq!(o.api_keys, vec!["e1", "e2", "k"]);
        assert_eq!(o.allow_origins, vec!["https://x.org"]);
    }

    #[test]
    fn bad_options_are_refused() {
        assert!(parse(&args("--listen nowhere a.json"), "").unwrap_err().contains("HOST:PORT"));
        assert!(parse(&args("a.json --api-key"), "").unwrap_err().contains("needs a value"));
        assert!(parse(&args("a.json --bogus"), "").unwrap_err().contains("unknown option"));
        assert!(parse(&args("--store x"), "").unwrap_err().contains("agent file"));
    }
}
