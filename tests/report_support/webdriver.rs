//! A small W3C WebDriver client for the report's browser tests: starts
//! Debian's chromedriver, opens a headless Chromium session and offers the
//! few commands the tests use (navigate, find, click, run a script, take a
//! screenshot). Fails loudly when Chromium is missing: these tests never skip.
#![allow(dead_code)]

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

pub struct Browser {
    driver: Child,
    base: String,
    session: String,
    agent: ureq::Agent,
}

impl Browser {
    /// Starts chromedriver on a free port and a headless Chromium session.
    pub fn start() -> Browser {
        for binary in [CHROMIUM, CHROMEDRIVER] {
            assert!(
                std::path::Path::new(binary).is_file(),
                "{binary} is missing: install Debian's chromium and chromium-driver packages \
                 (apt-get install chromium chromium-driver fonts-noto-cjk); .ci/run does"
            );
        }
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let base = format!("http://127.0.0.1:{port}");
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_secs(120)))
            .http_status_as_error(false)
            .build()
            .into();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if agent.get(format!("{base}/status")).call().is_ok() {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "chromedriver did not answer on port {port}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        let mut browser = Browser {
            driver,
            base,
            session: String::new(),
            agent,
        };
        let created = browser.post(
            "/session",
            json!({"capabilities": {"alwaysMatch": {
                "browserName": "chrome",
                "goog:chromeOptions": {
                    "binary": CHROMIUM,
                    "args": [
                        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                        "--disable-background-networking", "--disable-extensions", "--no-first-run",
                        "--autoplay-policy=no-user-gesture-required", "--mute-audio",
                        "--window-size=1280,1000", "--lang=zh-CN"
                    ]
                }
            }}}),
        );
        browser.session = created["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no WebDriver session: {created}"))
            .to_string();
        browser
    }

    fn post(&self, path: &str, body: Value) -> Value {
        let url = format!("{}{path}", self.base);
        let mut response = self
            .agent
            .post(&url)
            .send_json(&body)
            .unwrap_or_else(|e| panic!("POST {url}: {e}"));
        let value: Value = response
            .body_mut()
            .read_json()
            .expect("WebDriver answers JSON");
        if let Some(error) = value["value"].get("error") {
            panic!(
                "WebDriver {path} failed: {error} {}",
                value["value"]["message"]
            );
        }
        value["value"].clone()
    }

    fn get(&self, path: &str) -> Value {
        let url = format!("{}{path}", self.base);
        let mut response = self
            .agent
            .get(&url)
            .call()
            .unwrap_or_else(|e| panic!("GET {url}: {e}"));
        let value: Value = response
            .body_mut()
            .read_json()
            .expect("WebDriver answers JSON");
        value["value"].clone()
    }

    fn session_path(&self, path: &str) -> String {
        format!("/session/{}{path}", self.session)
    }

    pub fn open(&self, url: &str) {
        self.post(&self.session_path("/url"), json!({ "url": url }));
    }

    /// Runs `script` (a function body; `arguments` available) and returns its value.
    pub fn run(&self, script: &str, args: Value) -> Value {
        self.post(
            &self.session_path("/execute/sync"),
            json!({ "script": script, "args": args }),
        )
    }

    /// Runs an async script (`arguments[arguments.length-1]` is the callback).
    pub fn run_async(&self, script: &str, args: Value) -> Value {
        self.post(
            &self.session_path("/execute/async"),
            json!({ "script": script, "args": args }),
        )
    }

    /// The element matching a CSS selector (panics when there is none).
    pub fn find(&self, css: &str) -> String {
        let found = self.post(
            &self.session_path("/element"),
            json!({"using": "css selector", "value": css}),
        );
        found[ELEMENT_KEY]
            .as_str()
            .unwrap_or_else(|| panic!("no element {css}"))
            .to_string()
    }

    pub fn text(&self, css: &str) -> String {
        let id = self.find(css);
        self.get(&self.session_path(&format!("/element/{id}/text")))
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// A real (trusted) click on the element.
    pub fn click(&self, css: &str) {
        let id = self.find(css);
        self.post(
            &self.session_path(&format!("/element/{id}/click")),
            json!({}),
        );
    }

    /// Types `text` into the element (real key events: `input` fires).
    pub fn type_into(&self, css: &str, text: &str) {
        let id = self.find(css);
        self.post(
            &self.session_path(&format!("/element/{id}/clear")),
            json!({}),
        );
        self.post(
            &self.session_path(&format!("/element/{id}/value")),
            json!({ "text": text }),
        );
    }

    /// Focuses the element and presses Enter on it (keyboard use of a control).
    pub fn press_enter(&self, css: &str) {
        let id = self.find(css);
        self.post(
            &self.session_path(&format!("/element/{id}/value")),
            json!({ "text": "\u{E007}" }),
        );
    }

    /// The page printed to PDF by Chromium (A4, print CSS applied).
    pub fn print_pdf(&self) -> Vec<u8> {
        use base64::Engine;
        let encoded = self.post(
            &self.session_path("/print"),
            json!({ "page": { "width": 21.0, "height": 29.7 }, "background": false }),
        );
        base64::engine::general_purpose::STANDARD
            .decode(encoded.as_str().expect("base64 PDF"))
            .expect("PDF decodes")
    }

    /// Shows the page as printed (CSS `@media print`) or as on screen, through
    /// chromedriver's DevTools pass-through.
    pub fn emulate_print(&self, on: bool) {
        self.post(
            &self.session_path("/goog/cdp/execute"),
            json!({ "cmd": "Emulation.setEmulatedMedia", "params": { "media": if on { "print" } else { "" } } }),
        );
    }

    /// A PNG screenshot of the viewport.
    pub fn screenshot(&self) -> Vec<u8> {
        use base64::Engine;
        let encoded = self.get(&self.session_path("/screenshot"));
        base64::engine::general_purpose::STANDARD
            .decode(encoded.as_str().expect("base64 screenshot"))
            .expect("screenshot decodes")
    }

    /// Polls `script` until it returns true.
    pub fn wait_for(&self, script: &str, what: &str) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.run(script, json!([])) != json!(true) {
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let _ = self
                .agent
                .delete(format!("{}/session/{}", self.base, self.session))
                .call();
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}
