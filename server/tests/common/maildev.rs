//! A real SMTP server for the notification tests and benchmark: maildev
//! from end2end's npm packages, on free ports of 127.0.0.1, stopped when
//! dropped. Included by the benchmark with `#[path]` as well.
#![allow(dead_code)]

use serde_json::Value;
use std::{
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

pub struct Maildev {
    child: Child,
    pub smtp: u16,
    pub web: u16,
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

impl Maildev {
    /// A free port is found by binding and releasing it, so another test
    /// may take it before maildev does: a maildev that exits, or does not
    /// answer in time, is started again on other ports.
    pub async fn start() -> Maildev {
        Maildev::start_niced(0).await
    }

    /// Runs maildev at a lower scheduling priority (`nice -n`): the
    /// benchmark's stand-in for an SMTP server on another machine, which
    /// must not take the measured server's CPU when both want it.
    pub async fn start_niced(nice: u8) -> Maildev {
        for _ in 0..3 {
            if let Some(m) = Maildev::try_start(nice).await {
                return m;
            }
        }
        panic!("maildev did not start (three attempts on fresh ports)");
    }

    async fn try_start(nice: u8) -> Option<Maildev> {
        let bin = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../end2end/node_modules/.bin/maildev");
        assert!(
            bin.exists(),
            "maildev is needed (make test installs it: cd end2end && npm ci)"
        );
        let smtp = free_port();
        let web = std::iter::repeat_with(free_port)
            .find(|p| *p != smtp)
            .expect("a second free port");
        let mut command = if nice > 0 {
            let mut c = Command::new("nice");
            c.args(["-n", &nice.to_string()]).arg(&bin);
            c
        } else {
            Command::new(&bin)
        };
        let child = command
            .args([
                "--ip",
                "127.0.0.1",
                "--smtp",
                &smtp.to_string(),
                "--web",
                &web.to_string(),
                "--silent",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("maildev starts");
        let mut m = Maildev { child, smtp, web };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if reqwest::get(m.api("/email")).await.is_ok()
                && tokio::net::TcpStream::connect(("127.0.0.1", smtp))
                    .await
                    .is_ok()
            {
                // Answering, and still ours: a maildev whose port another
                // process held exits just after starting.
                tokio::time::sleep(Duration::from_millis(300)).await;
                if matches!(m.child.try_wait(), Ok(None)) {
                    return Some(m);
                }
                return None;
            }
            // Exited (a port was taken) or too slow: dropping it stops it.
            if matches!(m.child.try_wait(), Ok(Some(_))) || Instant::now() >= deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub fn api(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.web)
    }

    pub async fn emails(&self) -> Vec<Value> {
        reqwest::get(self.api("/email"))
            .await
            .expect("maildev answers")
            .json()
            .await
            .expect("JSON")
    }

    /// Waits until `n` e-mails have arrived (and a moment longer, so a
    /// duplicate would show); returns them.
    pub async fn wait_for(&self, n: usize) -> Vec<Value> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let got = self.emails().await;
            if got.len() >= n {
                tokio::time::sleep(Duration::from_millis(500)).await;
                return self.emails().await;
            }
            assert!(
                Instant::now() < deadline,
                "expected {n} e-mails, got {}",
                got.len()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// An attachment of a message, decoded.
    pub async fn attachment(&self, id: &str, name: &str) -> String {
        reqwest::get(self.api(&format!("/email/{id}/attachment/{name}")))
            .await
            .expect("maildev answers")
            .text()
            .await
            .expect("text")
    }

    pub async fn raw(&self, id: &str) -> String {
        reqwest::get(self.api(&format!("/email/{id}/source")))
            .await
            .expect("maildev answers")
            .text()
            .await
            .expect("text")
    }
}

impl Drop for Maildev {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
