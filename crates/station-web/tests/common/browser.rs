//! Debian's headless Chromium driven over WebDriver (`chromedriver` on a free port, through
//! `fantoccini`) at the front office's 1366×768: what the browser tests and the
//! `ui_browser_speed` example open, and the steps both take (sign in with the keyboard, type
//! and check an applicant, start, wait for the final state).
#![allow(dead_code, reason = "each user takes part of it")]

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator, key::Key};
use serde_json::{Value, json};

/// The laptop screen the front office has (issue 14 §5).
pub const WIDTH: u32 = 1366;
pub const HEIGHT: u32 = 768;

/// The states an enrolment ends in, as the progress page's `data-state` names them.
const FINAL_STATES: [&str; 5] = [
    "issued",
    "failed",
    "abandoned",
    "personalized-not-issued",
    "for-bureau",
];

/// A `chromedriver` child and a headless Chromium session through it; the driver is stopped
/// when dropped.
pub struct Browser {
    pub client: Client,
    driver: Child,
    /// `PERMITKIT_SCREENSHOTS`: where [`Browser::shot`] keeps its pictures.
    shots: Option<PathBuf>,
    _scratch: tempfile::TempDir,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Browser {
    /// A driver on a free port, a session whose page is exactly 1366×768.
    pub async fn open() -> Self {
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver (Debian package chromium-driver) runs");
        let scratch = tempfile::tempdir().unwrap();
        let Value::Object(caps) = json!({
            "goog:chromeOptions": {
                "args": [
                    "--headless=new",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-dev-shm-usage",
                    "--hide-scrollbars",
                    "--force-device-scale-factor=1",
                    format!("--window-size={WIDTH},{HEIGHT}"),
                    format!("--user-data-dir={}", scratch.path().display()),
                ]
            }
        }) else {
            unreachable!("a JSON object")
        };
        let url = format!("http://127.0.0.1:{port}");
        // chromedriver takes a moment to listen; a session is the proof it does.
        let started = Instant::now();
        let client = loop {
            let connector = hyper_util::client::legacy::connect::HttpConnector::new();
            match ClientBuilder::new(connector)
                .capabilities(caps.clone())
                .connect(&url)
                .await
            {
                Ok(c) => break c,
                Err(_) if started.elapsed() < Duration::from_secs(30) => {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) => panic!("no WebDriver session from chromedriver: {e}"),
            }
        };
        // The window's frame takes part of --window-size: grow it until the page itself is
        // 1366×768.
        let inner = client
            .execute("return window.innerHeight;", vec![])
            .await
            .unwrap()
            .as_u64()
            .unwrap();
        let frame = u32::try_from(u64::from(HEIGHT).saturating_sub(inner)).unwrap();
        client.set_window_size(WIDTH, HEIGHT + frame).await.unwrap();
        Self {
            client,
            driver,
            shots: std::env::var_os("PERMITKIT_SCREENSHOTS").map(PathBuf::from),
            _scratch: scratch,
        }
    }

    /// Photographs the page as `name`.png: a PNG of the window's size, the page no wider than
    /// the window (nothing to scroll sideways at 1366×768).
    pub async fn shot(&self, name: &str) {
        let png = self.client.screenshot().await.unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "{name}: a PNG");
        let width = u32::from_be_bytes(png[16..20].try_into().unwrap());
        let height = u32::from_be_bytes(png[20..24].try_into().unwrap());
        assert_eq!(
            (width, height),
            (WIDTH, HEIGHT),
            "{name}: the page is seen at {WIDTH}×{HEIGHT}"
        );
        let overflow = self
            .js("return document.documentElement.scrollWidth - window.innerWidth;")
            .await;
        assert!(
            overflow.as_i64().unwrap() <= 0,
            "{name}: the page is {overflow} px wider than the window"
        );
        if let Some(dir) = &self.shots {
            std::fs::create_dir_all(dir).unwrap();
            std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
        }
    }

    /// The value of `script` run in the page.
    pub async fn js(&self, script: &str) -> Value {
        self.client.execute(script, vec![]).await.unwrap()
    }

    pub async fn text(&self, css: &str) -> String {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"))
            .text()
            .await
            .unwrap()
    }

    pub async fn body(&self) -> String {
        self.text("body").await
    }

    pub async fn click(&self, css: &str) {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"))
            .click()
            .await
            .unwrap();
    }

    pub async fn type_into(&self, css: &str, text: &str) {
        let field = self
            .client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"));
        field.clear().await.unwrap();
        field.send_keys(text).await.unwrap();
    }

    /// Signs in with the keyboard alone: the login field has the focus, Tab to the password,
    /// Enter submits.
    pub async fn sign_in(&self, base: &str, login: &str, password: &str, lang: &str) {
        self.client
            .goto(&format!("{base}/login?lang={lang}"))
            .await
            .unwrap();
        let focused = self.client.active_element().await.unwrap();
        assert_eq!(
            focused.attr("name").await.unwrap().as_deref(),
            Some("login"),
            "the sign-in page opens with the login field focused"
        );
        focused.send_keys(login).await.unwrap();
        focused.send_keys(&Key::Tab.to_string()).await.unwrap();
        let password_field = self.client.active_element().await.unwrap();
        assert_eq!(
            password_field.attr("name").await.unwrap().as_deref(),
            Some("password")
        );
        password_field
            .send_keys(&format!("{password}{}", Key::Enter))
            .await
            .unwrap();
        self.wait_path("/").await;
    }

    /// Types `applicant` into the start page's file field and has it checked.
    pub async fn check_applicant(&self, base: &str, applicant: &str) {
        self.client.goto(&format!("{base}/")).await.unwrap();
        self.type_into("textarea[name=applicant]", applicant).await;
        self.click("form[action='/applicant/check'] button").await;
        self.wait_path("/applicant/check").await;
    }

    /// Waits until the browser shows the page at `path`.
    pub async fn wait_path(&self, path: &str) {
        let started = Instant::now();
        while self.client.current_url().await.unwrap().path() != path {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "the browser reached {path}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Starts the checked applicant and waits on the progress page until the enrolment is
    /// final; returns the state shown.
    pub async fn start_and_wait(&self) -> String {
        self.click("form[action='/applicant/start'] button").await;
        self.wait_final().await
    }

    /// Waits on the progress page until the enrolment is final; its state.
    pub async fn wait_final(&self) -> String {
        self.wait_final_polling(Duration::from_millis(200)).await
    }

    /// [`Browser::wait_final`], looking every `poll`: the progress page reloads itself once
    /// the stream says the enrolment is final, and then has no script.
    pub async fn wait_final_polling(&self, poll: Duration) -> String {
        let started = Instant::now();
        loop {
            let state = self
                .js("var s=document.getElementById('state');\
                     return s&&!document.querySelector('script')?s.dataset.state:'';")
                .await;
            let state = state.as_str().unwrap_or_default();
            if FINAL_STATES.contains(&state) {
                return state.to_owned();
            }
            assert!(
                started.elapsed() < Duration::from_secs(300),
                "the enrolment came to an end"
            );
            tokio::time::sleep(poll).await;
        }
    }

    /// Waits until an element matches `css`.
    pub async fn wait_for(&self, css: &str) {
        let started = Instant::now();
        while self.client.find(Locator::Css(css)).await.is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(120),
                "{css} appeared: {}",
                self.body().await
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until the element `css` shows some text; the text. The page may be replaced
    /// while it waits (a form just sent): an element gone stale is looked for again.
    pub async fn wait_text(&self, css: &str) -> String {
        let started = Instant::now();
        loop {
            let text = match self.client.find(Locator::Css(css)).await {
                Ok(el) => el.text().await.unwrap_or_default(),
                Err(_) => String::new(),
            };
            if !text.trim().is_empty() {
                return text;
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "{css} says something"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Ends the session; the driver stops when `self` drops.
    pub async fn close(self) {
        let _ = self.client.clone().close().await;
    }
}
