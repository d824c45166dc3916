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
    pub async fn start() -> Maildev {
        let bin = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../end2end/node_modules/.bin/maildev");
        assert!(
            bin.exists(),
            "maildev is needed (make test installs it: cd end2end && npm ci)"
        );
        let (smtp, web) = (free_port(), free_port());
        let child = Command::new(bin)
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
        let m = Maildev { child, smtp, web };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if reqwest::get(m.api("/email")).await.is_ok()
                && tokio::net::TcpStream::connect(("127.0.0.1", smtp))
                    .await
                    .is_ok()
            {
                return m;
            }
            assert!(Instant::now() < deadline, "maildev did not start");
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
