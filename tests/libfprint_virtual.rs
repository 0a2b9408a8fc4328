//! L2: the libfprint backend against the real library, through libfprint's own `virtual_image`
//! driver (`FP_VIRTUAL_IMAGE=<UNIX socket path>`; driver source libfprint/drivers/virtual-image.c:
//! the client sends two native-endian 32-bit integers, width and height, then the grey pixels).
//! libfprint runs its NBIS minutiae detection on every capture and refuses an image without
//! minutiae, so a successful capture also shows that the synthetic prints look like fingers to
//! an independent implementation.
//!
//! Needs Debian's `libfprint-2-2` with the virtual_image driver (bookworm's 1.94.5 has it);
//! `.ci/install-deps` installs `libfprint-2-dev`. Run with `--features libfprint`.
#![cfg(feature = "libfprint")]
#![expect(
    clippy::unwrap_used,
    reason = "test code: an unexpected value fails the test loudly"
)]

use std::{
    io::Write,
    os::unix::net::UnixStream,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use permitkit_biometrics::FingerPosition;
use permitkit_devices::{CaptureError, scanner::open};
use permitkit_quality::finger::assess;
use permitkit_synth::{Condition, FingerprintSpec, generate};

/// Sends `img` to the virtual_image socket again and again until `stop` is set (the driver only
/// takes an image while a capture is running, and there is no signal telling the test when).
fn feed(path: std::path::PathBuf, img: image::GrayImage, stop: Arc<AtomicBool>) {
    std::thread::spawn(move || {
        let mut stream = None;
        for _ in 0..200 {
            if stop.load(Ordering::SeqCst) {
                return;
            }
            if stream.is_none() {
                stream = UnixStream::connect(&path).ok();
            }
            if let Some(s) = stream.as_mut() {
                let mut msg = Vec::new();
                msg.extend_from_slice(&i32::try_from(img.width()).unwrap().to_ne_bytes());
                msg.extend_from_slice(&i32::try_from(img.height()).unwrap().to_ne_bytes());
                msg.extend_from_slice(img.as_raw());
                if s.write_all(&msg).is_err() {
                    stream = None;
                }
            }
            std::thread::sleep(Duration::from_millis(300));
        }
    });
}

fn library_present() {
    let found = [
        "/usr/lib/x86_64-linux-gnu",
        "/usr/lib/aarch64-linux-gnu",
        "/usr/lib64",
        "/usr/lib",
    ]
    .iter()
    .any(|d| std::path::Path::new(d).join("libfprint-2.so.2").exists());
    assert!(
        found,
        "libfprint-2.so.2 not found: run .ci/install-deps (apt-get install libfprint-2-dev)"
    );
}

const NAME: &str = "captures_a_synthetic_print_through_libfprint_virtual_image";

#[test]
fn captures_a_synthetic_print_through_libfprint_virtual_image() {
    library_present();
    // libfprint enumerates the virtual_image device only when FP_VIRTUAL_IMAGE is set when its
    // context is created. `std::env::set_var` is `unsafe` in edition 2024 and this crate
    // forbids `unsafe`, so the test re-runs itself in a child process with the variable set.
    let Some(socket) = std::env::var_os("FP_VIRTUAL_IMAGE") else {
        let dir = tempfile::tempdir().unwrap();
        let socket = dir.path().join("virtual-image.socket");
        let status = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", NAME, "--nocapture", "--test-threads=1"])
            .env("FP_VIRTUAL_IMAGE", &socket)
            .status()
            .unwrap();
        assert!(
            status.success(),
            "the libfprint virtual_image capture failed (see above)"
        );
        return;
    };
    let socket = std::path::PathBuf::from(socket);
    let mut scanner = open("libfprint:0", Duration::from_secs(30)).unwrap_or_else(|e| {
        panic!(
            "opening the virtual_image device failed ({e}); is libfprint built with virtual_image?"
        )
    });
    assert!(
        scanner.info().backend.contains("virtual_image"),
        "{}",
        scanner.info()
    );

    let print = generate(&FingerprintSpec::new(77).with_size(400, 500)).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    feed(socket.clone(), print.clone(), stop.clone());
    let captured = scanner.capture(FingerPosition::RightIndex);
    stop.store(true, Ordering::SeqCst);
    let captured =
        captured.unwrap_or_else(|e| panic!("libfprint refused the synthetic print: {e}"));
    assert_eq!(captured.image.dimensions(), (400, 500));
    assert_eq!(captured.ppi, 500);
    assert_eq!(captured.position, FingerPosition::RightIndex);
    // The image went through the library unchanged (virtual_image does no processing).
    assert_eq!(captured.image.as_raw(), print.as_raw());
    assert!(assess(&captured.image, captured.ppi).unwrap().score >= 55);

    // An empty platen has no minutiae: libfprint asks for a retry instead of returning it.
    let empty = generate(&FingerprintSpec::new(77).with_condition(Condition::Empty)).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    feed(socket, empty, stop.clone());
    let refused = scanner.capture(FingerPosition::RightIndex);
    stop.store(true, Ordering::SeqCst);
    match refused {
        Err(CaptureError::Device { message, .. }) => {
            eprintln!("libfprint refused the empty image: {message}");
            assert!(!message.is_empty());
        }
        other => panic!("expected libfprint to refuse an empty image, got {other:?}"),
    }
}
