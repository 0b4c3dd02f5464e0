//! `licensedesk` — serve (default), migrate, create-admin, healthcheck.

use anyhow::Context;
use clap::Parser;
use licensedesk::config::{
    Cli, Command, CreateAdminArgs, CreateApiTokenArgs, LogFormat, ServeArgs,
};
use licensedesk::services::SessionConfig;
use licensedesk::web::{AppState, assets::Assets, router};
use std::io::{BufRead, IsTerminal};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn init_tracing(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("LICENSEDESK_LOG")
        .unwrap_or_else(|_| "info,sqlx=warn,tower_http=info".into());
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}

#[tokio::main]
async fn main() {
    let cli = Cli::parse();
    let result = match cli.command {
        None => run_serve(cli.serve).await,
        Some(Command::Serve(args)) => run_serve(args).await,
        Some(Command::Migrate(args)) => {
            init_tracing(LogFormat::Text);
            let url = args.url();
            licensedesk::open_database(&url).await.map(|_| {
                println!("Database is up to date ({url}).");
            })
        }
        Some(Command::CreateAdmin(args)) => {
            init_tracing(LogFormat::Text);
            create_admin(args).await
        }
        Some(Command::CreateApiToken(args)) => {
            init_tracing(LogFormat::Text);
            create_api_token(args).await
        }
        Some(Command::Healthcheck(args)) => healthcheck(args.listen).await,
        Some(Command::Simulator(args)) => run_simulator(args).await,
        Some(Command::StoreSimulator(args)) => run_store_simulator(args).await,
    };
    if let Err(e) = result {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}

async fn run_serve(args: ServeArgs) -> anyhow::Result<()> {
    init_tracing(args.log_format);
    let url = args.db.url();
    tracing::info!(database = %url, "opening database");
    let db = licensedesk::open_database(&url).await?;
    let secure_cookie = args
        .public_url
        .as_ref()
        .is_some_and(|u| u.scheme() == "https");
    let services = licensedesk::services(
        db,
        SessionConfig {
            idle_secs: i64::from(args.session_idle_minutes) * 60,
            max_secs: i64::from(args.session_max_hours) * 3600,
            secure_cookie,
        },
    );
    if args.demo && licensedesk::demo::seed(&services).await? {
        tracing::info!("demo organization created");
    }
    let pruner = services.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(600));
        loop {
            tick.tick().await;
            if let Err(e) = pruner.prune().await {
                tracing::warn!(error = %e, "pruning sessions failed");
            }
        }
    });
    let needs_setup = services.admin_count().await? == 0;
    let billing = licensedesk::billing::Billing {
        grace_days: i64::from(args.billing_grace_days),
        ..licensedesk::billing::Billing::new(services.db.clone(), services.clock.clone())
    };
    let https = args
        .public_url
        .as_ref()
        .is_some_and(|u| u.scheme() == "https");
    licensedesk::web::rest::limit::configure(args.api_rate);
    let mut state = AppState::new(services, Assets::discover(), args.trust_proxy)
        .with_proxies(args.trusted_proxies)
        .with_https(https)
        .with_billing(billing);
    let job = state.billing.clone();
    let every = Duration::from_secs(u64::from(args.billing_job_minutes.max(1)) * 60);
    let alerts = state.alerts.clone();
    tokio::spawn(async move {
        // Renewals, expiry, invoices and overdue payments; safe on several servers at once.
        let mut tick = tokio::time::interval(every);
        loop {
            tick.tick().await;
            match job.run_jobs().await {
                Ok(report) => tracing::debug!(?report, "billing job finished"),
                Err(e) => tracing::warn!(error = %e, "billing job failed"),
            }
            if let Err(e) = alerts.evaluate().await {
                tracing::warn!(error = %e, "alert evaluation failed");
            }
        }
    });
    let licensing_url = match (&args.licensing_url, args.demo) {
        (Some(url), _) => Some(url.to_string()),
        (None, true) => {
            let url = licensedesk::licensing::spawn_simulator(
                "127.0.0.1:0".parse()?,
                std::sync::Arc::new(licensedesk::licensing::Faults::default()),
            )
            .await?;
            tracing::info!(%url, "demo: simulated licensing service started");
            Some(url)
        }
        (None, false) => None,
    };
    if let Some(url) = licensing_url {
        state = state.with_licensing(licensedesk::licensing::Connector::new(
            &url,
            Duration::from_secs(10),
        ));
    }
    let secrets = licensedesk::secrets::SecretBox::load(
        args.secret_key.as_deref(),
        &args
            .secret_key_file
            .clone()
            .unwrap_or_else(|| licensedesk::secrets::default_key_file(url.expose())),
    )?;
    let mut notifier = licensedesk::overview::Notifier::new(
        state.services.db.clone(),
        state.services.clock.clone(),
        secrets.clone(),
    );
    notifier.public_url = args
        .public_url
        .as_ref()
        .map(|u| u.as_str().trim_end_matches('/').to_string())
        .unwrap_or_default();
    state = state.with_notifier(notifier);
    let mut store = licensedesk::store::Store::new(
        state.services.db.clone(),
        state.services.clock.clone(),
        secrets,
    );
    store.sync_interval_secs = i64::from(args.store_sync_hours) * 3600;
    if let Some(u) = &args.apple_store_url {
        store.apple_url = u.as_str().trim_end_matches('/').to_string();
    }
    store.microsoft_url = args
        .microsoft_store_url
        .as_ref()
        .map(|u| u.as_str().trim_end_matches('/').to_string());
    if args.demo && args.apple_store_url.is_none() && args.microsoft_store_url.is_none() {
        let sim = std::sync::Arc::new(licensedesk::store::simulator::StoreSim::standard());
        sim.auto_accept
            .store(true, std::sync::atomic::Ordering::SeqCst);
        let base = licensedesk::store::simulator::spawn("127.0.0.1:0".parse()?, sim).await?;
        tracing::info!(url = %base, "demo: simulated app stores started");
        store.apple_url = licensedesk::store::simulator::StoreSim::apple_url(&base);
        store.microsoft_url = Some(base);
    }
    state = state.with_store(store);
    let (alerts, notifier) = (state.alerts.clone(), state.notifier.clone());
    let mailer = licensedesk::overview::email::Mailer::from_notifier(&state.notifier);
    tokio::spawn(async move {
        // Alerts follow syncs, refreshes and changes within a minute, and new ones go to the
        // webhooks; safe on several servers.
        let mut tick = tokio::time::interval(Duration::from_secs(60));
        loop {
            tick.tick().await;
            match alerts.evaluate().await {
                Ok((raised, closed)) => tracing::debug!(raised, closed, "alerts evaluated"),
                Err(e) => tracing::warn!(error = %e, "alert evaluation failed"),
            }
            if let Err(e) = notifier.deliver_pending().await {
                tracing::warn!(error = %e, "alert delivery failed");
            }
            if let Err(e) = mailer.deliver_pending().await {
                tracing::warn!(error = %e, "alert e-mail failed");
            }
        }
    });
    // Runs cut off by a crash or kill are closed before anything else looks at them.
    match state.store.recover_interrupted().await {
        Ok(0) => {}
        Ok(n) => tracing::warn!(runs = n, "closed interrupted store sync runs"),
        Err(e) => tracing::warn!(error = %e, "could not close interrupted store sync runs"),
    }
    if args.demo
        && let Err(e) = licensedesk::demo::store::seed(&state.store).await
    {
        tracing::warn!(error = %e, "demo store data not created");
    }
    let sync = state.store.clone();
    tokio::spawn(async move {
        // Automatic sync: every connection whose last run is older than the interval; the
        // lease in the database lets one server of several run each connection.
        let mut tick = tokio::time::interval(Duration::from_secs(60));
        loop {
            tick.tick().await;
            if let Err(e) = sync.run_due().await {
                tracing::warn!(error = %e, "automatic store sync failed");
            }
        }
    });
    let app = router(state);
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let address = args
        .public_url
        .as_ref()
        .map(|u| u.to_string())
        .unwrap_or_else(|| format!("http://{}", args.listen));
    println!("LicenseDesk is running at {address}");
    if args.demo {
        println!(
            "Demo organization: sign in as `admin` with password `{}` (also: licenses, people, billing, auditor).",
            licensedesk::demo::DEMO_PASSWORD
        );
    } else if needs_setup {
        println!("No administrator yet: open {address}/setup to create the first Global admin.");
    }
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await?;
    tracing::info!("stopped");
    Ok(())
}

async fn run_simulator(args: licensedesk::config::SimulatorArgs) -> anyhow::Result<()> {
    use std::sync::atomic::Ordering;
    init_tracing(LogFormat::Text);
    let faults = std::sync::Arc::new(licensedesk::licensing::Faults::default());
    faults.fail_next.store(args.fail_next, Ordering::SeqCst);
    faults
        .fail_status
        .store(u32::from(args.fault_status), Ordering::SeqCst);
    faults.fail_error.store(args.fault_error, Ordering::SeqCst);
    faults
        .retry_after_secs
        .store(args.retry_after, Ordering::SeqCst);
    faults.delay_ms.store(args.delay_ms, Ordering::SeqCst);
    let url = licensedesk::licensing::spawn_simulator(args.listen, faults).await?;
    println!("Simulated volume licensing service at {url} (Ctrl+C stops it)");
    shutdown_signal().await;
    Ok(())
}

async fn run_store_simulator(args: licensedesk::config::StoreSimulatorArgs) -> anyhow::Result<()> {
    use licensedesk::store::simulator::{StoreSim, spawn};
    use std::sync::atomic::Ordering;
    init_tracing(LogFormat::Text);
    let mut sim = StoreSim::seeded(args.apps, args.assignments);
    sim.page_size = args.page_size.max(1);
    let f = &sim.faults;
    f.fail_next.store(args.fail_next, Ordering::SeqCst);
    f.fail_status
        .store(u32::from(args.fault_status), Ordering::SeqCst);
    f.fail_error.store(args.fault_error, Ordering::SeqCst);
    f.retry_after_secs.store(args.retry_after, Ordering::SeqCst);
    f.delay_ms.store(args.delay_ms, Ordering::SeqCst);
    sim.tokens_expired
        .store(args.token_expired, Ordering::SeqCst);
    sim.tokens_revoked
        .store(args.token_revoked, Ordering::SeqCst);
    sim.auto_accept.store(args.auto_accept, Ordering::SeqCst);
    if let Some(path) = &args.write_token {
        let expires = time::OffsetDateTime::now_utc().unix_timestamp() + 365 * 86_400;
        let token = licensedesk::store::apple::make_token(
            &format!("{:032x}", rand::random::<u128>()),
            &args.org,
            expires,
        );
        std::fs::write(path, token)?;
        println!("Token file for {} written to {}", args.org, path.display());
    }
    let base = spawn(args.listen, std::sync::Arc::new(sim)).await?;
    println!(
        "Simulated app stores: Apple at {base}/mdm/v2, Microsoft at {base} (Ctrl+C stops them)"
    );
    shutdown_signal().await;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}

async fn create_admin(args: CreateAdminArgs) -> anyhow::Result<()> {
    let password = match args.password.clone() {
        Some(p) => p,
        None => {
            if std::io::stdin().is_terminal() {
                eprint!("Password for {}: ", args.username);
            }
            let mut line = String::new();
            std::io::stdin().lock().read_line(&mut line)?;
            line.trim_end_matches(['\r', '\n']).to_string()
        }
    };
    let url = args.db.url();
    let db = licensedesk::open_database(&url).await?;
    let services = licensedesk::services(db, SessionConfig::default());
    let who = licensedesk::core::audit::Who::named("cli");
    let input = app::api::ssr::NewAdmin::from_form(
        args.username.clone(),
        args.display_name,
        &args.role,
        password,
    );
    let created = match input {
        Ok(input) => {
            services
                .create_admin(&who, input, Some(&args.org_name))
                .await
        }
        Err(e) => Err(e),
    };
    created.map_err(|e| match e {
        app::domain::ApiError::Invalid { field, message } => {
            anyhow::anyhow!("{field}: {message}")
        }
        other => anyhow::anyhow!("{other}"),
    })?;
    println!("Admin `{}` created.", args.username.trim().to_lowercase());
    Ok(())
}

async fn create_api_token(args: CreateApiTokenArgs) -> anyhow::Result<()> {
    let db = licensedesk::open_database(&args.db.url()).await?;
    let services = licensedesk::services(db, SessionConfig::default());
    let days = args
        .expires_in_days
        .map(|d| d.to_string())
        .unwrap_or_default();
    let created = async {
        let actor = services.cli_actor(&args.admin).await?;
        if !actor
            .admin
            .role
            .allows(app::domain::Permission::ManageAdmins)
        {
            return Err(app::domain::ApiError::Forbidden);
        }
        let input = app::domain::tokens::NewApiToken::parse(&args.name, &args.role, &days)?;
        services.create_api_token(&actor, input).await
    }
    .await
    .map_err(|e| match e {
        app::domain::ApiError::Invalid { field, message } => {
            anyhow::anyhow!("{field}: {message}")
        }
        other => anyhow::anyhow!("{other}"),
    })?;
    println!("{}", created.secret);
    Ok(())
}

/// A minimal HTTP/1.0 GET of /healthz, so the check needs nothing but the binary.
async fn healthcheck(addr: SocketAddr) -> anyhow::Result<()> {
    let check = async {
        let mut stream = tokio::net::TcpStream::connect(addr).await?;
        stream
            .write_all(format!("GET /healthz HTTP/1.0\r\nHost: {addr}\r\n\r\n").as_bytes())
            .await?;
        let mut response = String::new();
        stream.read_to_string(&mut response).await?;
        anyhow::Ok(response)
    };
    let response = tokio::time::timeout(Duration::from_secs(5), check)
        .await
        .context("timed out")??;
    if response.starts_with("HTTP/1.0 200") || response.starts_with("HTTP/1.1 200") {
        println!("healthy");
        Ok(())
    } else {
        anyhow::bail!(
            "unhealthy: {}",
            response.lines().next().unwrap_or("no answer")
        )
    }
}
