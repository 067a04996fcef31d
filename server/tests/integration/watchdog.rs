//! A time limit per test. libtest has none: a test awaiting something that never comes (a lost
//! wake-up, a request with no timeout) holds `cargo test`, and so `make test` and CI, until CI's own
//! limit ends it with no name attached. Every test that takes a database (`fresh_db`, `empty_db`)
//! arms the watchdog; when one runs past the limit, the process prints the test's name and every
//! thread's stack (where gdb is installed) and exits non-zero.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::thread::ThreadId;
use std::time::{Duration, Instant};

/// Far above the slowest test (the KVM ones boot a guest: about a minute); overridable for a hunt.
const DEFAULT_LIMIT: Duration = Duration::from_secs(600);

/// The armed tests, by thread: the test's name, when it armed, and a token that dies with the thread.
type Armed = HashMap<ThreadId, (String, Instant, Weak<()>)>;

static ARMED: OnceLock<Mutex<Armed>> = OnceLock::new();

thread_local! {
    // Dropped when the test's thread exits (libtest runs every test on a thread of its own, named
    // after it): the watchdog then forgets the test, whatever way it ended.
    static ALIVE: Arc<()> = Arc::new(());
}

/// Arms the limit for the calling test; once per test is enough, more calls are free.
pub fn arm() {
    let thread = std::thread::current();
    let name = thread.name().unwrap_or("(unnamed test thread)").to_string();
    let token = ALIVE.with(Arc::downgrade);
    let armed = ARMED.get_or_init(|| {
        std::thread::Builder::new()
            .name("test-watchdog".into())
            .spawn(watch)
            .expect("start the test watchdog");
        Mutex::new(HashMap::new())
    });
    let mut armed = armed.lock().unwrap_or_else(|e| e.into_inner());
    armed.entry(thread.id()).or_insert((name, Instant::now(), token));
}

fn limit() -> Duration {
    std::env::var("VIREO_TEST_TIMEOUT_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .map(Duration::from_secs)
        .unwrap_or(DEFAULT_LIMIT)
}

fn watch() {
    let limit = limit();
    loop {
        std::thread::sleep(Duration::from_secs(5));
        let Some(armed) = ARMED.get() else { continue };
        let overdue = {
            let mut armed = armed.lock().unwrap_or_else(|e| e.into_inner());
            armed.retain(|_, (_, _, token)| token.strong_count() > 0);
            armed
                .values()
                .find(|(_, since, _)| since.elapsed() > limit)
                .map(|(name, since, _)| (name.clone(), since.elapsed()))
        };
        if let Some((name, ran)) = overdue {
            say(&format!(
                "\ntest {name} has run for {} s, past the limit of {} s (VIREO_TEST_TIMEOUT_SECS): \
                 stopping the test process. Every thread's stack follows where gdb is installed.\n",
                ran.as_secs(),
                limit.as_secs()
            ));
            dump_stacks();
            std::process::exit(124);
        }
    }
}

/// Every thread's stack, from gdb attached to this process (best effort: gdb may be missing, or
/// attaching may not be allowed).
fn dump_stacks() {
    let pid = std::process::id().to_string();
    let out = std::process::Command::new("gdb")
        .args(["-p", &pid, "-batch", "-ex", "thread apply all bt"])
        .stdin(std::process::Stdio::null())
        .output();
    match out {
        Ok(out) => say(&String::from_utf8_lossy(&out.stdout)),
        Err(e) => say(&format!("(no stacks: gdb could not run: {e})\n")),
    }
}

/// Straight to the process's stderr. `eprintln!` would not do: this thread is spawned by the first
/// test that arms, and inherits that test's output capture, which is never printed once we exit.
fn say(text: &str) {
    use std::io::Write;
    let mut stderr = std::io::stderr().lock();
    _ = stderr.write_all(text.as_bytes());
    _ = stderr.flush();
}
