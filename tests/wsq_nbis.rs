//! WSQ interoperability with the reference implementation, NIST NBIS 5.0, through the PyPI
//! package `wsq` (tests/support/nbis_wsq.py; `.ci/install-deps` installs it).
//!
//! - NBIS-encoded files decode here within one grey level of NBIS's own decoding;
//! - NBIS decodes every file this encoder writes, at 0.75 and 2.25 bpp and at odd and minimum
//!   sizes ([`wsq::MIN_DIMENSION`]), to the same image this decoder produces (within one grey
//!   level);
//! - at 0.75 bpp (NBIS's fixed rate) our files are within 5 % of NBIS's size and no more than
//!   0.3 dB worse in PSNR;
//! - the NBIS-encoded reference files in testdata/wsq/ decode to the committed NBIS output
//!   without Python (offline).
//!
//! Figures are printed; run with `--nocapture` to see them.

#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation,
    reason = "test code: an unexpected value fails the test loudly"
)]

#[path = "support/fingerprints.rs"]
mod fingerprints;

use std::{
    fs,
    path::{Path, PathBuf},
    process::Command,
};

use fingerprints::{abs_diff, fingerprint_like_images, psnr, ridge_image};
use image::GrayImage;
use permitkit_biometrics::wsq::{self, EncodeOptions};

const INSTALL_HINT: &str = "run .ci/install-deps (pip install wsq)";

/// The NBIS reference codec behind the Python helper, working in a temporary directory.
struct Nbis {
    script: PathBuf,
    dir: tempfile::TempDir,
}

impl Nbis {
    fn new() -> Self {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/nbis_wsq.py");
        let output = Command::new("python3")
            .arg(&script)
            .arg("check")
            .output()
            .unwrap_or_else(|e| panic!("python3 not runnable ({e}): {INSTALL_HINT}"));
        assert!(
            output.status.success(),
            "NBIS WSQ reference codec unavailable: {} — {INSTALL_HINT}",
            String::from_utf8_lossy(&output.stderr).trim()
        );
        Self {
            script,
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn run(&self, args: &[&str]) -> String {
        let output = Command::new("python3")
            .arg(&self.script)
            .args(args)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "nbis_wsq.py {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    }

    fn encode(&self, image: &GrayImage) -> Vec<u8> {
        let raw = self.dir.path().join("in.raw");
        let out = self.dir.path().join("nbis.wsq");
        fs::write(&raw, image.as_raw()).unwrap();
        self.run(&[
            "encode",
            raw.to_str().unwrap(),
            &image.width().to_string(),
            &image.height().to_string(),
            out.to_str().unwrap(),
        ]);
        fs::read(out).unwrap()
    }

    /// NBIS's decoding: (width, height, ppi, pixels).
    fn decode(&self, data: &[u8]) -> (u32, u32, i32, Vec<u8>) {
        let input = self.dir.path().join("in.wsq");
        let raw = self.dir.path().join("out.raw");
        fs::write(&input, data).unwrap();
        let line = self.run(&["decode", input.to_str().unwrap(), raw.to_str().unwrap()]);
        let fields: Vec<i64> = line
            .split_whitespace()
            .map(|f| f.parse().unwrap())
            .collect();
        (
            fields[0] as u32,
            fields[1] as u32,
            fields[2] as i32,
            fs::read(raw).unwrap(),
        )
    }
}

#[test]
fn nbis_encoded_files_decode_within_one_grey_level_of_nbis() {
    let nbis = Nbis::new();
    for (name, image) in fingerprint_like_images() {
        let data = nbis.encode(&image);
        let (w, h, ppi, reference) = nbis.decode(&data);
        let ours = wsq::decode(&data).unwrap();
        assert_eq!((ours.width, ours.height), (w, h), "{name}");
        assert_eq!(ours.ppi.map(i32::from), Some(ppi), "{name}");
        let (max, mean) = abs_diff(&reference, &ours.pixels);
        println!("{name}: ours vs NBIS decoding of the NBIS file: max {max}, mean {mean:.4}");
        assert!(max <= 1, "{name}: max difference {max} grey levels");
    }
}

#[test]
fn nbis_decodes_our_files_to_our_decoding() {
    let nbis = Nbis::new();
    for (name, image) in fingerprint_like_images() {
        for (bitrate, min_psnr) in [(0.75, 30.0), (2.25, 35.0)] {
            let options = EncodeOptions::default().with_bitrate(bitrate);
            let data = wsq::encode(&image, &options).unwrap();
            let (w, h, ppi, theirs) = nbis.decode(&data);
            assert_eq!((w, h), image.dimensions(), "{name} at {bitrate}");
            assert_eq!(ppi, 500);
            let ours = wsq::decode(&data).unwrap();
            let (max, mean) = abs_diff(&theirs, &ours.pixels);
            let quality = psnr(image.as_raw(), &theirs);
            let ratio = image.as_raw().len() as f64 / data.len() as f64;
            println!(
                "{name} at {bitrate} bpp: {} bytes ({ratio:.1}:1), PSNR {quality:.2} dB \
                 (NBIS decoding), ours vs NBIS decoding max {max} mean {mean:.4}",
                data.len()
            );
            assert!(max <= 1, "{name} at {bitrate}: max difference {max}");
            assert!(
                quality >= min_psnr,
                "{name} at {bitrate}: PSNR {quality:.2} dB"
            );
        }
    }
}

#[test]
fn rate_and_quality_match_nbis_at_0_75_bpp() {
    let nbis = Nbis::new();
    for (name, image) in fingerprint_like_images() {
        let theirs = nbis.encode(&image);
        let ours = wsq::encode(&image, &EncodeOptions::default()).unwrap();
        let q_theirs = psnr(image.as_raw(), &nbis.decode(&theirs).3);
        let q_ours = psnr(image.as_raw(), &nbis.decode(&ours).3);
        let size_ratio = ours.len() as f64 / theirs.len() as f64;
        println!(
            "{name}: ours {} bytes / {q_ours:.2} dB, NBIS {} bytes / {q_theirs:.2} dB \
             (size ratio {size_ratio:.4}, PSNR difference {:+.3} dB)",
            ours.len(),
            theirs.len(),
            q_ours - q_theirs
        );
        assert!(
            (0.95..=1.05).contains(&size_ratio),
            "{name}: size ratio {size_ratio:.4}"
        );
        assert!(
            q_ours >= q_theirs - 0.3,
            "{name}: {q_ours:.2} dB vs NBIS {q_theirs:.2} dB"
        );
    }
}

#[test]
fn small_and_odd_sizes_interoperate() {
    let nbis = Nbis::new();
    for (w, h) in [
        (81, 81),
        (81, 300),
        (300, 81),
        (83, 97),
        (128, 81),
        (101, 203),
    ] {
        let image = ridge_image(w, h, w + h);
        let data = wsq::encode(&image, &EncodeOptions::default()).unwrap();
        let (nw, nh, _, theirs) = nbis.decode(&data);
        assert_eq!((nw, nh), (w, h));
        let ours = wsq::decode(&data).unwrap();
        let (max, mean) = abs_diff(&theirs, &ours.pixels);
        println!("{w}x{h}: ours vs NBIS decoding max {max} mean {mean:.4}");
        assert!(max <= 1, "{w}x{h}: max difference {max}");
    }
}

/// testdata/wsq/<name>.wsq (NBIS-encoded) and <name>.nbis.png (NBIS's decoding of it).
#[test]
fn reference_files_decode_like_nbis_offline() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/wsq");
    let mut checked = 0;
    for entry in fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "wsq") {
            continue;
        }
        let data = fs::read(&path).unwrap();
        let reference = image::open(path.with_extension("nbis.png"))
            .unwrap()
            .into_luma8();
        let ours = wsq::decode(&data).unwrap();
        assert_eq!((ours.width, ours.height), reference.dimensions());
        assert_eq!(ours.ppi, Some(500));
        let (max, mean) = abs_diff(reference.as_raw(), &ours.pixels);
        println!("{}: max {max} mean {mean:.4}", path.display());
        assert!(max <= 1, "{}: max difference {max}", path.display());
        checked += 1;
    }
    assert!(
        checked >= 3,
        "only {checked} reference files in {}",
        dir.display()
    );
}
