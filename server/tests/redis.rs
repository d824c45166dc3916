//! Two server processes on one PostgreSQL database sharing a Redis of the test's
//! own (a `redis-server` process on a free port, stopped by the test): one
//! rate budget per address for the chain, settings changes seen by the
//! other instance at once, and a Redis that stops mid-test leaves both
//! serving on their own limits, saying so on `/health/cache`.

mod common;
use common::{at, date_ahead, send_url as send, Db, ServerProcess, TestDb};
use reqwest::Method;
use serde_json::json;
use std::{
    collections::HashMap,
    io::{Read, Write},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

const PASSWORD: &str = "north light over the river";

/// A Redis server of this test's own.
struct Redis {
    child: Child,
    url: String,
}

impl Redis {
    fn start() -> Redis {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut redis = Redis {
            child: Command::new("redis-server")
                .args([
                    "--port",
                    &port.to_string(),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                ])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("redis-server (Debian's redis-server package) is needed"),
            url: format!("redis://127.0.0.1:{port}/0"),
        };
        for _ in 0..100 {
            if let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) {
                let _ = s.write_all(b"PING\r\n");
                let mut buf = [0u8; 7];
                if s.read(&mut buf)
                    .is_ok_and(|n| n > 0 && buf.starts_with(b"+PONG"))
                {
                    return redis;
                }
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        redis.stop();
        panic!("redis-server did not start");
    }

    /// Runs one inline command (e.g. `FLUSHALL`) on this Redis.
    fn command(&self, line: &str) {
        let addr = self
            .url
            .trim_start_matches("redis://")
            .trim_end_matches("/0");
        let mut s = std::net::TcpStream::connect(addr).expect("redis");
        s.write_all(format!("{line}\r\n").as_bytes()).unwrap();
        let mut buf = [0u8; 64];
        let n = s.read(&mut buf).unwrap();
        assert!(
            buf[..n].starts_with(b"+OK"),
            "{line}: {}",
            String::from_utf8_lossy(&buf[..n])
        );
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.stop();
    }
}

async fn slots(client: &reqwest::Client, i: &ServerProcess, day: i64) -> usize {
    let url = format!(
        "http://{}/api/v1/public/availability?space=studio_a&date={}",
        i.addr,
        date_ahead(day)
    );
    let (status, body) = send(client, Method::GET, url, None, None).await;
    assert_eq!(status, 200, "{body}");
    body["slots"].as_array().map_or(0, Vec::len)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_share_limits_and_settings_through_redis_and_survive_its_loss() {
    common::within_time(async {
        let mut redis = Redis::start();
        let db = TestDb::new(Db::Postgres).await;
        let mut env = db.env();
        env.insert("STUDIO_REDIS_URL".into(), redis.url.clone());
        env.insert("STUDIO_PUBLIC_RATE_PER_MINUTE".into(), "20".into());
        env.insert("STUDIO_PUBLIC_BURST".into(), "10".into());
        let a = ServerProcess::start(&env).await;
        let b = ServerProcess::start(&env).await;
        let client = reqwest::Client::new();

        // 30 guest bookings from one address, alternating between the two
        // instances: one budget of 10 for both (each alone would let 10
        // through, 20 in all).
        let mut created = 0;
        let mut limited = 0;
        for i in 0..30u32 {
            let target = if i % 2 == 0 { &a } else { &b };
            let day = 2 + i64::from(i / 12);
            let hour = 9 + i % 12;
            let (status, body) = send(
                &client,
                Method::POST,
                format!("http://{}/api/v1/public/bookings", target.addr),
                None,
                Some(json!({
                    "space": "studio_a", "start_time": at(day, hour), "end_time": at(day, hour + 1),
                    "people_count": 1, "client_name": format!("Guest {i}"),
                    "client_phone": format!("+7 916 800 00 {i:02}"), "consent": true
                })),
            )
            .await;
            match status {
                201 => created += 1,
                429 => limited += 1,
                other => panic!("booking {i}: {other} {body}"),
            }
        }
        assert!((10..=11).contains(&created), "{created} bookings got through the shared budget");
        assert_eq!(created + limited, 30);
        for i in [&a, &b] {
            let (status, health) =
                send(&client, Method::GET, format!("http://{}/health/cache", i.addr), None, None).await;
            assert_eq!(status, 200);
            assert_eq!(health["status"], "ok", "{health}");
            assert_eq!(health["shared"], "redis", "{health}");
        }

        // The budget is spent; the owner signing in below comes from the
        // same address, so it starts afresh.
        redis.command("FLUSHALL");

        // A holiday saved on A closes the day on B at once, though B had
        // the old rules cached.
        let token = common::owner_token(&env, a.addr, PASSWORD).await;
        assert!(slots(&client, &b, 20).await > 0);
        let (_, mut settings) = send(
            &client,
            Method::GET,
            format!("http://{}/api/v1/settings", a.addr),
            Some(&token),
            None,
        )
        .await;
        settings["holidays"] = json!([{"date": date_ahead(20).to_string(), "reason": "studio party"}]);
        let (status, body) = send(
            &client,
            Method::PUT,
            format!("http://{}/api/v1/settings", a.addr),
            Some(&token),
            Some(settings.clone()),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let changed = Instant::now();
        while slots(&client, &b, 20).await > 0 {
            assert!(
                changed.elapsed() < Duration::from_secs(2),
                "B still shows the old hours (its cache lives 30 s)"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }

        // Redis goes away: both instances keep serving (bookings, settings),
        // on their own limits, and say they are degraded.
        redis.stop();
        let (status, body) = send(
            &client,
            Method::POST,
            format!("http://{}/api/v1/public/bookings", b.addr),
            None,
            Some(json!({
                "space": "studio_b", "start_time": at(9, 10), "end_time": at(9, 11),
                "people_count": 1, "client_name": "After Redis",
                "client_phone": "+7 916 800 11 22", "consent": true
            })),
        )
        .await;
        assert!(status == 201 || status == 429, "{status} {body}");
        settings["holidays"] = json!([]);
        let (status, body) = send(
            &client,
            Method::PUT,
            format!("http://{}/api/v1/settings", a.addr),
            Some(&token),
            Some(settings),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        for i in [&a, &b] {
            let mut degraded = false;
            for _ in 0..40 {
                // Asking for a quote makes the instance try Redis.
                let _ = send(&client, Method::POST, format!("http://{}/api/v1/public/quote", i.addr), None,
                    Some(json!({"space": "studio_a", "start_time": at(3, 10), "end_time": at(3, 11), "people_count": 1}))).await;
                let (status, health) =
                    send(&client, Method::GET, format!("http://{}/health/cache", i.addr), None, None).await;
                assert_eq!(status, 200, "{health}");
                if health["status"] == "degraded" {
                    degraded = true;
                    break;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            assert!(degraded, "the instance did not notice that Redis is gone");
        }
    })
    .await
}

#[test]
fn a_redis_url_that_is_not_one_is_refused_at_start() {
    let env: HashMap<String, String> = HashMap::from([
        ("DATABASE_URL".into(), "sqlite://studio.db".into()),
        (
            "STUDIO_SECRET_KEY".into(),
            "test-secret-key-that-is-long-enough-0123456789".into(),
        ),
        ("STUDIO_REDIS_URL".into(), "http://not-redis".into()),
    ]);
    let Err(err) = server::config::Config::from_lookup(|k| env.get(k).cloned()) else {
        panic!("a bad STUDIO_REDIS_URL was accepted");
    };
    assert!(err.to_string().contains("STUDIO_REDIS_URL"), "{err}");
}
