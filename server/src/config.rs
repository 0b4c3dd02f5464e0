//! Command line and environment configuration. Every flag has an environment equivalent.

use clap::{Args, Parser, Subcommand};
use std::fmt;
use std::net::SocketAddr;

#[derive(Debug, Parser)]
#[command(
    name = "licensedesk",
    version,
    about = "LicenseDesk: the admin portal for what your organization bought for its people's software",
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// `serve` options, when no subcommand is given.
    #[command(flatten)]
    pub serve: ServeArgs,
}

#[derive(Debug, Subcommand)]
#[allow(clippy::large_enum_variant)] // parsed once at start; boxing buys nothing
pub enum Command {
    /// Run the web portal (the default).
    Serve(ServeArgs),
    /// Apply pending database migrations and exit.
    Migrate(DbArgs),
    /// Create an administrator from the shell (the first one becomes the organization's setup).
    CreateAdmin(CreateAdminArgs),
    /// Create an API token for the REST API and print it (once) on standard output; it acts for
    /// --admin, who must be able to create tokens (a Global admin). For automation bootstrap.
    CreateApiToken(CreateApiTokenArgs),
    /// Exit 0 when the portal at --url answers /healthz (for container health checks).
    Healthcheck(HealthcheckArgs),
    /// Serve the simulated volume licensing service (for demos and tests), with fault injection.
    Simulator(SimulatorArgs),
    /// Serve the simulated app stores (Apple Apps and Books v2 at /mdm/v2, Microsoft store
    /// inventory at /V1), with fault injection.
    StoreSimulator(StoreSimulatorArgs),
}

#[derive(Debug, Clone, Args)]
pub struct DbArgs {
    /// Database URL: `sqlite://path/to/file.db` or `postgres://user:pass@host/db`.
    /// Default: `licensedesk.db` beside the binary.
    #[arg(long, env = "DATABASE_URL")]
    pub database_url: Option<DatabaseUrl>,
}

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub db: DbArgs,
    /// Address to listen on.
    #[arg(long, env = "LICENSEDESK_LISTEN", default_value = "127.0.0.1:3000")]
    pub listen: SocketAddr,
    /// The address people use to reach the portal, e.g. `https://licenses.example.com`.
    /// With an https address, session cookies are marked Secure.
    #[arg(long, env = "LICENSEDESK_PUBLIC_URL")]
    pub public_url: Option<url::Url>,
    /// Fill an empty database with the demo organization and demo admins.
    #[arg(long, env = "LICENSEDESK_DEMO")]
    pub demo: bool,
    /// Sign a session out after this many minutes without a request.
    #[arg(long, env = "LICENSEDESK_SESSION_IDLE_MINUTES", default_value_t = 30)]
    pub session_idle_minutes: u32,
    /// Sign a session out this many hours after sign-in, active or not.
    #[arg(long, env = "LICENSEDESK_SESSION_MAX_HOURS", default_value_t = 12)]
    pub session_max_hours: u32,
    /// Take the client address from `X-Forwarded-For` (only behind a reverse proxy you control).
    #[arg(long, env = "LICENSEDESK_TRUST_PROXY")]
    pub trust_proxy: bool,
    /// With `--trust-proxy`: how many reverse proxies stand in front of the portal. The client
    /// address is this many entries from the right of `X-Forwarded-For` (entries further left
    /// are written by the client and ignored).
    #[arg(long, env = "LICENSEDESK_TRUSTED_PROXIES", default_value_t = 1)]
    pub trusted_proxies: usize,
    /// REST API requests a second each API token may make on average (per replica); a token may
    /// make four times as many at once. Over it the answer is 429 with `Retry-After`.
    #[arg(long, env = "LICENSEDESK_API_RATE", default_value_t = 50)]
    pub api_rate: u32,
    /// Base URL of the volume licensing service used by Refresh now, e.g. `http://127.0.0.1:3300`.
    /// Demo mode starts the built-in simulator and uses it when this is not set.
    #[arg(long, env = "LICENSEDESK_LICENSING_URL")]
    pub licensing_url: Option<url::Url>,
    /// Days after an invoice's due date before the subscriptions on it are disabled for
    /// payment overdue (B-5).
    #[arg(long, env = "LICENSEDESK_BILLING_GRACE_DAYS", default_value_t = 14)]
    pub billing_grace_days: u32,
    /// How often the billing job runs (renewals, expiry, invoices, overdue), in minutes.
    #[arg(long, env = "LICENSEDESK_BILLING_JOB_MINUTES", default_value_t = 15)]
    pub billing_job_minutes: u32,
    /// Base URL of Apple's Apps and Books API. Demo mode uses the built-in store simulator.
    #[arg(long, env = "LICENSEDESK_APPLE_STORE_URL")]
    pub apple_store_url: Option<url::Url>,
    /// Base URL of the Microsoft store inventory API (or a compatible store). Demo mode uses
    /// the built-in store simulator.
    #[arg(long, env = "LICENSEDESK_MICROSOFT_STORE_URL")]
    pub microsoft_store_url: Option<url::Url>,
    /// Hours between automatic syncs of each store connection (0 turns automatic sync off).
    #[arg(long, env = "LICENSEDESK_STORE_SYNC_HOURS", default_value_t = 12)]
    pub store_sync_hours: u32,
    /// Key that encrypts store tokens and secrets at rest: base64 of 32 random bytes
    /// (`openssl rand -base64 32`). Every replica must use the same key.
    #[arg(long, env = "LICENSEDESK_SECRET_KEY", hide_env_values = true)]
    pub secret_key: Option<String>,
    /// File holding the key when LICENSEDESK_SECRET_KEY is not set; created (mode 0600) on
    /// first start. Default: `licensedesk.key` beside the SQLite database, else beside the binary.
    #[arg(long, env = "LICENSEDESK_SECRET_KEY_FILE")]
    pub secret_key_file: Option<std::path::PathBuf>,
    /// Log format: `text` or `json`.
    #[arg(long, env = "LICENSEDESK_LOG_FORMAT", default_value = "text")]
    pub log_format: LogFormat,
}

#[derive(Debug, Clone, Args)]
pub struct StoreSimulatorArgs {
    #[arg(long, default_value = "127.0.0.1:3400")]
    pub listen: SocketAddr,
    /// Apple assets in the catalog (about one in seven free and unlimited).
    #[arg(long, default_value_t = 300)]
    pub apps: usize,
    /// Store-side assignments spread over the paid assets.
    #[arg(long, default_value_t = 2500)]
    pub assignments: usize,
    /// Assets, assignments or users per page.
    #[arg(long, default_value_t = 1000)]
    pub page_size: usize,
    /// Answer the first N calls with a fault (see --fault-status, --fault-error).
    #[arg(long, default_value_t = 0)]
    pub fail_next: u32,
    /// HTTP status of injected faults (429 or 503), sent with Retry-After.
    #[arg(long, default_value_t = 503)]
    pub fault_status: u16,
    /// Answer faults with HTTP 200 and this error number instead (e.g. 9646).
    #[arg(long, default_value_t = 0)]
    pub fault_error: u32,
    /// Retry-After seconds sent with injected 429/503 answers.
    #[arg(long, default_value_t = 1)]
    pub retry_after: u64,
    /// Wait this many milliseconds before every answer (slow store).
    #[arg(long, default_value_t = 0)]
    pub delay_ms: u64,
    /// Every token answers error 9621 (expired).
    #[arg(long)]
    pub token_expired: bool,
    /// Every token answers error 9625 (revoked).
    #[arg(long)]
    pub token_revoked: bool,
    /// Program users accept their invitation at once.
    #[arg(long)]
    pub auto_accept: bool,
    /// Write a content token file for --org (valid one year) to this path before serving.
    #[arg(long)]
    pub write_token: Option<std::path::PathBuf>,
    #[arg(long, default_value = "Northwind Health")]
    pub org: String,
}

#[derive(Debug, Clone, Args)]
pub struct CreateAdminArgs {
    #[command(flatten)]
    pub db: DbArgs,
    #[arg(long)]
    pub username: String,
    #[arg(long)]
    pub display_name: String,
    /// One of global_admin, license_admin, user_admin, billing_admin, reader.
    #[arg(long, default_value = "global_admin")]
    pub role: String,
    /// Organization name, set when it has none yet.
    #[arg(long, default_value = "My organization")]
    pub org_name: String,
    /// The password; read from standard input when not given (never put it in shell history).
    #[arg(long, env = "LICENSEDESK_ADMIN_PASSWORD", hide_env_values = true)]
    pub password: Option<String>,
}

#[derive(Debug, Clone, Args)]
pub struct CreateApiTokenArgs {
    #[command(flatten)]
    pub db: DbArgs,
    /// The sign-in name of the Global admin the token acts for.
    #[arg(long)]
    pub admin: String,
    /// What the token is for.
    #[arg(long)]
    pub name: String,
    /// One of global_admin, license_admin, user_admin, billing_admin, reader.
    #[arg(long, default_value = "reader")]
    pub role: String,
    /// Days until it expires (1 to 1830); none when not given.
    #[arg(long)]
    pub expires_in_days: Option<i64>,
}

#[derive(Debug, Clone, Args)]
pub struct HealthcheckArgs {
    #[arg(long, env = "LICENSEDESK_LISTEN", default_value = "127.0.0.1:3000")]
    pub listen: SocketAddr,
}

#[derive(Debug, Clone, Args)]
pub struct SimulatorArgs {
    #[arg(long, default_value = "127.0.0.1:3300")]
    pub listen: SocketAddr,
    /// Answer the first N calls with a fault (see --fault-status, --fault-error).
    #[arg(long, default_value_t = 0)]
    pub fail_next: u32,
    /// HTTP status of injected faults (429 or 503), sent with Retry-After.
    #[arg(long, default_value_t = 503)]
    pub fault_status: u16,
    /// Answer faults with HTTP 200 and this error number instead (e.g. 9646).
    #[arg(long, default_value_t = 0)]
    pub fault_error: u32,
    /// Retry-After seconds sent with injected 429/503 answers.
    #[arg(long, default_value_t = 1)]
    pub retry_after: u64,
    /// Wait this many milliseconds before every answer (slow service).
    #[arg(long, default_value_t = 0)]
    pub delay_ms: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// A database URL whose `Debug` and `Display` never show the password.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl(String);

impl DatabaseUrl {
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// `licensedesk.db` beside the running binary.
    pub fn default_beside_binary() -> DatabaseUrl {
        let dir = std::env::current_exe()
            .ok()
            .and_then(|p| p.parent().map(|d| d.to_path_buf()))
            .unwrap_or_else(|| ".".into());
        DatabaseUrl(format!("sqlite://{}", dir.join("licensedesk.db").display()))
    }

    pub fn redacted(&self) -> String {
        match url::Url::parse(&self.0) {
            Ok(mut u) if u.password().is_some() => {
                let _ = u.set_password(Some("********"));
                u.to_string()
            }
            Ok(u) => u.to_string(),
            Err(_) => "<unparsable database URL>".to_string(),
        }
    }
}

impl std::str::FromStr for DatabaseUrl {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.starts_with("sqlite:")
            || s.starts_with("postgres://")
            || s.starts_with("postgresql://")
        {
            Ok(DatabaseUrl(s.to_string()))
        } else {
            Err("must start with sqlite: or postgres://".to_string())
        }
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DatabaseUrl({})", self.redacted())
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl DbArgs {
    pub fn url(&self) -> DatabaseUrl {
        self.database_url
            .clone()
            .unwrap_or_else(DatabaseUrl::default_beside_binary)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_password_is_redacted() {
        let u: DatabaseUrl = "postgres://ld:s3cret@db.internal/ld".parse().unwrap();
        assert!(!format!("{u:?}").contains("s3cret"));
        assert!(!u.to_string().contains("s3cret"));
        assert!(u.to_string().contains("db.internal"));
        assert_eq!(u.expose(), "postgres://ld:s3cret@db.internal/ld");
    }

    #[test]
    fn rejects_unknown_schemes() {
        assert!("mysql://x".parse::<DatabaseUrl>().is_err());
    }

    #[test]
    fn serve_is_the_default_command() {
        let cli = Cli::try_parse_from(["licensedesk", "--demo"]).unwrap();
        assert!(cli.command.is_none());
        assert!(cli.serve.demo);
        let cli = Cli::try_parse_from(["licensedesk", "migrate"]).unwrap();
        assert!(matches!(cli.command, Some(Command::Migrate(_))));
    }
}
