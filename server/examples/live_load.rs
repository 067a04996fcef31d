//! The live-update load benchmark's clients (scripts/bench-live.sh): a thousand open
//! `/api/stream` streams over several sessions, each standing for a browser on one page of the VMs
//! grid (100 rows by name: 1% of them on the page holding the changed VM), while one VM is changed
//! ten times a second through the REST API (`PUT /ovirt-engine/api/vms/{id}`, its description
//! stamped with a sequence number and the send time).
//!
//! Every client notes when each event naming the VM arrives, and asks the browser's own decision
//! (`vireo_app::domain::live_changes::should_refetch`, as `ObjectGrid` does) whether its page would
//! refetch. A change counts as seen by a client at the arrival of the first event broadcast after
//! the change's save returned (all clients get the same events in the same order, so the k-th
//! event's broadcast time is at most its earliest arrival); its latency is from the change's send
//! time. That is an upper bound: an event broadcast between the commit and the answer carries the
//! change too, and is not credited with it.
//!
//! Plain HTTP/1.1 over tokio's TCP streams (a few hundred bytes of state per stream, no client
//! library): the requests are fixed and the answers Vireo's own.
//!
//! Environment: `LIVE_ADDR` (127.0.0.1:3990), `LIVE_PASSWORD` (admin's), `DATABASE_URL` (to read the
//! grid's pages), `LIVE_CLIENTS` (1000), `LIVE_SESSIONS` (10), `LIVE_SECONDS` (30), `LIVE_RATE`
//! (changes per second, 10), `LIVE_ON_PAGE_PERCENT` (1), `LIVE_SERVER_PID` (for its RSS),
//! `LIVE_OPEN_PER_SECOND` (streams opened per second, 100; 0 opens them all at once, as browsers
//! reconnecting after a restart would).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::sync::watch;
use vireo_app::domain::collections;
use vireo_app::domain::live_changes::{should_refetch, ChangeSet, Shown, TableChange};

const PAGE_SIZE: usize = 100;

fn env_or<T: std::str::FromStr>(key: &str, default: T) -> T {
    std::env::var(key).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// One request on its own connection (`Connection: close`): status, head, body (de-chunked).
async fn http(addr: &str, request: String) -> Result<(u16, String, Vec<u8>), String> {
    let mut stream = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
    stream.write_all(request.as_bytes()).await.map_err(|e| e.to_string())?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.map_err(|e| e.to_string())?;
    let split = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or("no head in the answer")?;
    let head = String::from_utf8_lossy(&answer[..split]).to_string();
    let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).ok_or("no status")?;
    let mut body = answer[split + 4..].to_vec();
    if head.to_ascii_lowercase().contains("transfer-encoding: chunked") {
        body = dechunk(&body);
    }
    Ok((status, head, body))
}

fn dechunk(mut raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(eol) = raw.windows(2).position(|w| w == b"\r\n") {
        let size = usize::from_str_radix(String::from_utf8_lossy(&raw[..eol]).trim(), 16).unwrap_or(0);
        if size == 0 || raw.len() < eol + 2 + size {
            break;
        }
        out.extend_from_slice(&raw[eol + 2..eol + 2 + size]);
        raw = &raw[(eol + 4 + size).min(raw.len())..];
    }
    out
}

async fn login(addr: &str, password: &str) -> Result<String, String> {
    let body = format!("username=admin&password={password}&next=/");
    let request = format!(
        "POST /login HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let (_, head, _) = http(addr, request).await?;
    head.lines()
        .filter_map(|l| l.split_once(':'))
        .filter(|(k, _)| k.eq_ignore_ascii_case("set-cookie"))
        .filter_map(|(_, v)| v.trim().split(';').next())
        .find(|c| c.starts_with("vireo_session="))
        .map(str::to_string)
        .ok_or_else(|| "login set no session cookie".to_string())
}

async fn rest_token(addr: &str, password: &str) -> Result<String, String> {
    let body = format!("grant_type=password&scope=ovirt-app-api&username=admin%40internal&password={password}");
    let request = format!(
        "POST /ovirt-engine/sso/oauth/token HTTP/1.1\r\nHost: {addr}\r\nAccept: application/json\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let (status, _, body) = http(addr, request).await?;
    let json: serde_json::Value = serde_json::from_slice(&body).map_err(|e| format!("{status}: {e}"))?;
    json["access_token"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| format!("{status}: no token"))
}

/// What one client saw.
#[derive(Default)]
struct ClientStats {
    on_page: bool,
    connected: bool,
    /// Arrival (seconds since the start) of each event naming the VM (or `*`).
    vm_events: Vec<f64>,
    events: usize,
    refetches: usize,
    everything: usize,
    ended_early: bool,
}

struct Shared {
    addr: String,
    vm: String,
    start: Instant,
    connected: AtomicUsize,
}

/// One browser: its session, the ids of its grid page, the stream until `stop`.
async fn client(
    shared: Arc<Shared>,
    cookie: String,
    page: Arc<Vec<String>>,
    on_page: bool,
    mut stop: watch::Receiver<bool>,
) -> ClientStats {
    let mut stats = ClientStats {
        on_page,
        ..Default::default()
    };
    let Ok(stream) = TcpStream::connect(&shared.addr).await else {
        return stats;
    };
    let mut stream = BufReader::new(stream);
    let request = format!(
        "GET /api/stream HTTP/1.1\r\nHost: {}\r\nCookie: {cookie}\r\nAccept: text/event-stream\r\n\r\n",
        shared.addr
    );
    if stream.get_mut().write_all(request.as_bytes()).await.is_err() {
        return stats;
    }
    let mut line = String::new();
    let mut chunked = false;
    // The head.
    loop {
        line.clear();
        match stream.read_line(&mut line).await {
            Ok(0) | Err(_) => return stats,
            Ok(_) => {}
        }
        if line.starts_with("HTTP/1.1 ") && !line.starts_with("HTTP/1.1 200") {
            eprintln!("stream refused: {}", line.trim());
            return stats;
        }
        chunked |= line.to_ascii_lowercase().starts_with("transfer-encoding: chunked");
        if line == "\r\n" {
            break;
        }
    }
    stats.connected = true;
    shared.connected.fetch_add(1, Ordering::SeqCst);
    let live = collections::VMS.live;
    let mut pending = String::new();
    let mut event = String::new();
    let mut chunk = Vec::new();
    loop {
        // One chunk of the body (or a line when the body is not chunked).
        let read = async {
            line.clear();
            stream.read_line(&mut line).await.ok().filter(|n| *n > 0)?;
            if !chunked {
                return Some(line.clone());
            }
            let size = usize::from_str_radix(line.trim(), 16).ok().filter(|s| *s > 0)?;
            chunk.resize(size + 2, 0);
            stream.read_exact(&mut chunk).await.ok()?;
            Some(String::from_utf8_lossy(&chunk[..size]).to_string())
        };
        let text = tokio::select! {
            text = read => text,
            _ = stop.changed() => return stats,
        };
        let Some(text) = text else {
            stats.ended_early = true;
            return stats;
        };
        pending.push_str(&text);
        while let Some(eol) = pending.find('\n') {
            let field = pending[..eol].trim_end_matches('\r').to_string();
            pending.drain(..=eol);
            if let Some(name) = field.strip_prefix("event:") {
                event = name.trim().to_string();
            } else if let Some(data) = field.strip_prefix("data:") {
                if event == "change" {
                    let at = shared.start.elapsed().as_secs_f64();
                    let changes = ChangeSet::parse(data.trim_start());
                    stats.events += 1;
                    stats.everything += usize::from(changes.is_everything());
                    let names_vm = changes.is_everything()
                        || match changes.table("vms") {
                            Some(TableChange::Any) => true,
                            Some(TableChange::Rows(ids)) => ids.contains(&shared.vm),
                            None => false,
                        };
                    if names_vm {
                        stats.vm_events.push(at);
                    }
                    // The VMs grid sorted by name, no search (the page a browser opens on).
                    let shown = Shown::Page {
                        ids: &page,
                        order_may_change: false,
                    };
                    stats.refetches += usize::from(should_refetch(&changes, &live, shown));
                }
            } else if field.is_empty() {
                event.clear();
            }
        }
    }
}

fn rss_kib(pid: Option<u32>, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{}/status", pid?)).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

fn mib(kib: Option<u64>) -> String {
    kib.map_or_else(|| "?".into(), |k| format!("{:.0} MiB", k as f64 / 1024.0))
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

#[tokio::main]
async fn main() -> Result<(), String> {
    let addr = std::env::var("LIVE_ADDR").unwrap_or_else(|_| "127.0.0.1:3990".into());
    let password = std::env::var("LIVE_PASSWORD").map_err(|_| "LIVE_PASSWORD is not set")?;
    let database = std::env::var("DATABASE_URL").map_err(|_| "DATABASE_URL is not set")?;
    let clients: usize = env_or("LIVE_CLIENTS", 1000);
    let sessions: usize = env_or("LIVE_SESSIONS", 10).max(1);
    let seconds: u64 = env_or("LIVE_SECONDS", 30);
    let rate: u64 = env_or("LIVE_RATE", 10).max(1);
    let on_page_percent: f64 = env_or("LIVE_ON_PAGE_PERCENT", 1.0);
    let server_pid: Option<u32> = std::env::var("LIVE_SERVER_PID").ok().and_then(|p| p.parse().ok());
    let open_per_second: u64 = env_or("LIVE_OPEN_PER_SECOND", 100);

    // The VMs grid's pages as a browser sees them by default: by name, 100 rows.
    let db = sqlx::PgPool::connect(&database).await.map_err(|e| e.to_string())?;
    let ids: Vec<(String, String)> = sqlx::query_as("SELECT id::text, name FROM vms ORDER BY name, id")
        .fetch_all(&db)
        .await
        .map_err(|e| e.to_string())?;
    db.close().await;
    let pages: Vec<Arc<Vec<String>>> = ids
        .chunks(PAGE_SIZE)
        .map(|c| Arc::new(c.iter().map(|(id, _)| id.clone()).collect()))
        .collect();
    if pages.len() < 2 {
        return Err("seed at least 200 VMs".into());
    }
    // The changed VM: in the middle of the grid.
    let target_page = pages.len() / 2;
    let (vm, vm_name) = ids[target_page * PAGE_SIZE].clone();

    let rss_idle = rss_kib(server_pid, "VmRSS:");
    let mut cookies = Vec::new();
    for _ in 0..sessions {
        cookies.push(login(&addr, &password).await?);
    }
    let token = rest_token(&addr, &password).await?;

    let shared = Arc::new(Shared {
        addr: addr.clone(),
        vm: vm.clone(),
        start: Instant::now(),
        connected: AtomicUsize::new(0),
    });
    let (stop_tx, stop_rx) = watch::channel(false);
    let on_page = ((clients as f64) * on_page_percent / 100.0).round() as usize;
    let mut tasks = Vec::new();
    for n in 0..clients {
        // 0 opens them all at once.
        if let Some(gap) = 1_000_000u64.checked_div(open_per_second) {
            tokio::time::sleep(Duration::from_micros(gap)).await;
        }
        let page = if n < on_page {
            target_page
        } else {
            // Every other page in turn.
            let other = (n - on_page) % (pages.len() - 1);
            if other >= target_page {
                other + 1
            } else {
                other
            }
        };
        tasks.push(tokio::spawn(client(
            shared.clone(),
            cookies[n % sessions].clone(),
            pages[page].clone(),
            page == target_page,
            stop_rx.clone(),
        )));
    }
    // Wait for the streams (or give up on the missing ones after 30 s).
    while shared.connected.load(Ordering::SeqCst) < clients
        && shared.start.elapsed() < Duration::from_secs(30 + clients as u64 / open_per_second.max(1))
    {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let open = shared.connected.load(Ordering::SeqCst);
    let connect_secs = shared.start.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let rss_open = rss_kib(server_pid, "VmRSS:");

    // The changes: one at a time, `rate` a second.
    let total = seconds * rate;
    let mut sent: Vec<(f64, f64, bool)> = Vec::new();
    let mut ticker = tokio::time::interval(Duration::from_micros(1_000_000 / rate));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut rss_peak_sampled = rss_open;
    for seq in 1..=total {
        ticker.tick().await;
        let s = shared.start.elapsed().as_secs_f64();
        let body = format!(
            "<vm><description>live-bench seq={seq} sent={:.3}</description></vm>",
            s * 1000.0
        );
        let request = format!(
            "PUT /ovirt-engine/api/vms/{vm} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
             Content-Type: application/xml\r\nAccept: application/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        let ok = matches!(http(&addr, request).await, Ok((200, _, _)));
        let c = shared.start.elapsed().as_secs_f64();
        sent.push((s, c, ok));
        if seq % rate == 0 {
            rss_peak_sampled = rss_peak_sampled.max(rss_kib(server_pid, "VmRSS:"));
        }
    }
    // Time for the last events, then stop.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let _ = stop_tx.send(true);
    let mut stats = Vec::new();
    for t in tasks {
        stats.push(t.await.map_err(|e| e.to_string())?);
    }
    let rss_peak = rss_kib(server_pid, "VmHWM:");

    // The k-th VM event is the same broadcast for every client that got all of them: its
    // broadcast time is at most its earliest arrival.
    let full = stats.iter().map(|s| s.vm_events.len()).max().unwrap_or(0);
    let mut broadcast = vec![f64::INFINITY; full];
    for s in stats.iter().filter(|s| s.vm_events.len() == full) {
        for (k, at) in s.vm_events.iter().enumerate() {
            broadcast[k] = broadcast[k].min(*at);
        }
    }
    let mut latencies = Vec::new();
    let mut missed = 0usize;
    let mut late = 0usize;
    for s in &stats {
        for &(sent_at, answered_at, ok) in &sent {
            if !ok {
                continue;
            }
            // The first event broadcast after the save returned; a client that missed some
            // events (a lagged stream gets `*`, which names the VM too) is judged by its own.
            let arrival = if s.vm_events.len() == full {
                broadcast.iter().position(|b| *b >= answered_at).map(|k| s.vm_events[k])
            } else {
                s.vm_events.iter().copied().find(|a| *a >= answered_at)
            };
            match arrival {
                Some(a) => {
                    let ms = (a - sent_at) * 1000.0;
                    late += usize::from(ms > 1000.0);
                    latencies.push(ms);
                }
                None => missed += 1,
            }
        }
    }
    latencies.sort_by(|a, b| a.total_cmp(b));
    let saves: Vec<f64> = {
        let mut v: Vec<f64> = sent.iter().filter(|s| s.2).map(|(s, c, _)| (c - s) * 1000.0).collect();
        v.sort_by(|a, b| a.total_cmp(b));
        v
    };
    let failed = sent.iter().filter(|s| !s.2).count();
    let mut by_page: BTreeMap<bool, (usize, usize)> = BTreeMap::new();
    for s in &stats {
        let e = by_page.entry(s.on_page).or_default();
        e.0 += 1;
        e.1 += s.refetches;
    }
    let events: Vec<usize> = stats.iter().map(|s| s.events).collect();
    let connected = stats.iter().filter(|s| s.connected).count();
    let dropped = stats.iter().filter(|s| s.ended_early).count();
    let lagged = stats.iter().filter(|s| s.everything > 0).count();

    println!(
        "==> {clients} streams over {sessions} sessions; VM {vm_name} (page {} of {}) changed {rate}x/s for {seconds} s \
         through PUT /ovirt-engine/api/vms/{{id}} (description)",
        target_page + 1,
        pages.len()
    );
    println!(
        "streams open: {open}/{clients} in {connect_secs:.1} s ({}); {connected} connected, {dropped} ended early",
        if open_per_second > 0 {
            format!("{open_per_second} opened a second")
        } else {
            "all at once".into()
        }
    );
    println!(
        "changes: {} sent, {failed} failed; save p50 {:.1} ms, p99 {:.1} ms",
        sent.len(),
        percentile(&saves, 50.0),
        percentile(&saves, 99.0)
    );
    println!(
        "events per stream: min {} max {}; {} carried the VM; streams told '*' (lagged): {lagged}",
        events.iter().min().unwrap_or(&0),
        events.iter().max().unwrap_or(&0),
        full
    );
    println!(
        "change -> event latency ({} client x change pairs): p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms   goal: all < 1000 ms",
        latencies.len(),
        percentile(&latencies, 50.0),
        percentile(&latencies, 99.0),
        latencies.last().copied().unwrap_or(f64::NAN)
    );
    println!("missed changes: {missed}, later than 1 s: {late}   goal: 0 and 0");
    let (on_n, on_r) = by_page.get(&true).copied().unwrap_or_default();
    let (off_n, off_r) = by_page.get(&false).copied().unwrap_or_default();
    println!(
        "grid refetches: {on_r} by the {on_n} clients on the VM's page ({:.1} each, one per event), \
         {off_r} by the {off_n} on other pages   goal: only the VM's page",
        on_r as f64 / on_n.max(1) as f64
    );
    println!(
        "server RSS: {} idle, {} with the streams open, {} sampled during the changes, {} peak (VmHWM)   goal: < 500 MiB",
        mib(rss_idle),
        mib(rss_open),
        mib(rss_peak_sampled),
        mib(rss_peak)
    );
    let pass = open == clients
        && failed == 0
        && missed == 0
        && late == 0
        && off_r == 0
        && rss_peak.is_some_and(|k| k < 500 * 1024);
    println!("result: {}", if pass { "all goals met" } else { "GOALS MISSED" });
    Ok(())
}
