//! The real PC/SC stack for integration tests: a test runs itself inside `.ci/pcsc-stack`
//! (a private pcscd with vsmartcard's vpcd driver and the virtual chip served by
//! `permitkit sim serve --vpcd --feeder`), and inside asks the card feeder for cards the way an
//! operator puts them on the reader (`permitkit_devices::card_feeder`).

#![allow(
    dead_code,
    reason = "each test binary includes this module and uses only some of its helpers"
)]

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use permitkit_chip::identity::{self, ChipSerial, ChipSerialSource};
use permitkit_devices::card_feeder::{CardFeeder, FeederRequest, Present};
use permitkit_devices::reader_pcsc::PcscCard;

/// Runs test `inner` of the calling test binary inside `.ci/pcsc-stack`, unless already
/// inside (then runs `body`). Fails, saying what is missing, without root or the packages
/// `.ci/install-deps` installs.
pub fn in_the_stack(inner: &str, body: fn()) {
    if std::env::var("PERMITKIT_PCSC_STACK").as_deref() == Ok("1") {
        body();
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = Command::new("bash")
        .arg(root.join(".ci/pcsc-stack"))
        .arg(std::env::current_exe().expect("the test binary knows its path"))
        .args(["--exact", inner, "--nocapture", "--test-threads=1"])
        .env("PERMITKIT_BIN", env!("CARGO_BIN_EXE_permitkit"))
        .current_dir(root)
        .output()
        .expect("bash is needed to run .ci/pcsc-stack");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    print!("{stdout}");
    eprint!("{stderr}");
    assert!(
        out.status.success(),
        "the PC/SC stack test failed (needs root and `.ci/install-deps`: pcscd, vsmartcard-vpcd, iproute2, openpace): {stderr}"
    );
    assert!(stdout.contains("1 passed"), "the inner test did not run");
}

/// The name glob of the stack's reader (`.ci/pcsc-stack` sets it).
pub fn reader_glob() -> String {
    std::env::var("PERMITKIT_PCSC_READER").expect("run inside .ci/pcsc-stack")
}

/// The stack's card feeder (`.ci/pcsc-stack` serves `sim serve --feeder`).
pub fn feeder() -> CardFeeder {
    let folder = std::env::var("PERMITKIT_CARD_FEEDER").expect("run inside .ci/pcsc-stack");
    CardFeeder::open(Path::new(&folder)).expect("the stack's card feeder opens")
}

/// Asks the feeder's reader for `what` and waits until the bridge has taken the request.
pub fn ask(feeder: &CardFeeder, what: FeederRequest) {
    feeder.request(&what).expect("the feeder takes the request");
    for _ in 0..200 {
        if !feeder.request_pending() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("the vpcd bridge did not take the request {what}");
}

/// Presents `what` and waits until pcscd shows the card the feeder put on the reader; its
/// serial.
pub fn present(feeder: &CardFeeder, what: Present) -> ChipSerial {
    let wanted = match &what {
        Present::Card(serial) => Some(serial.clone()),
        _ => None,
    };
    // The card the bridge has (or last had) on the reader: it names one as soon as it starts.
    let mut before = None;
    for _ in 0..100 {
        before = feeder.in_reader().expect("the feeder's state reads");
        if before.is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    ask(feeder, FeederRequest::Present(what));
    // The bridge names the new card once the old one has been out of the field a while
    // (`vpcd::OUT_OF_FIELD`).
    let mut expected = None;
    for _ in 0..100 {
        let now = feeder.in_reader().expect("the feeder's state reads");
        if now.is_some() && (now != before || wanted.is_some()) {
            expected = now;
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let expected = wanted
        .or(expected)
        .expect("the bridge put a card on the reader");
    let glob = reader_glob();
    for _ in 0..100 {
        if let Ok(mut card) = PcscCard::open(&glob, Duration::from_secs(1)) {
            let seen = identity::read_serial(&mut card, ChipSerialSource::GpCplc);
            if seen.is_ok_and(|s| s == expected) {
                return expected;
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("pcscd never showed card {expected}");
}

/// Puts a fresh blank card on the stack's reader and opens it through pcscd.
pub fn blank_card(feeder: &CardFeeder) -> PcscCard {
    present(feeder, Present::Blank);
    PcscCard::open(&reader_glob(), Duration::from_secs(10)).expect("pcscd opens the blank card")
}

/// The simulated station profile with its card reader moved to the stack's PC/SC reader
/// (`id = "pcsc-station"`).
pub fn pcsc_station_toml() -> String {
    let glob = reader_glob();
    let station = include_str!("../../hardware-profiles/stations/simulated.toml")
        .replace("id = \"simulated\"", "id = \"pcsc-station\"")
        .replace(
            "[card_reader]\n",
            "[card_reader]\nprofile = \"vsmartcard-vpcd\"\n",
        )
        .replace(
            "selector = \"sim\"\ntimeout_seconds = 30.0\n\n[chip]",
            &format!("selector = \"pcsc:{glob}\"\ntimeout_seconds = 10.0\n\n[chip]"),
        );
    assert!(station.contains("pcsc:"), "{station}");
    station
}
