//! Periods, ICAO Doc 9303-12 §4.1 Table 1, §4.1.1 and §4.1.4: the private key usage period
//! (2.5.29.16, at least one bound, Table 6) lies within the certificate's validity — a key
//! that may sign after its certificate expired makes signatures nobody can verify — and the
//! certificate outlives it (§4.1.1.1, §4.1.4.1: validity = usage period + the life of what was
//! signed). A Document Signer's key signs for up to three months (§4.1.1.2; Table 1 note 1
//! allows "slightly longer"), a CSCA's for three to five years (§4.1.4.2): longer is a warning.

use x509_parser::certificate::X509Certificate;

use super::Findings;
use crate::profile::Role;

const TABLE1: &str = "9303-12 §4.1 Table 1";
const DAY: i64 = 86_400;

pub(super) fn check(cert: &X509Certificate<'_>, role: Role, out: &mut Findings) {
    let not_before = cert.validity().not_before.timestamp();
    let not_after = cert.validity().not_after.timestamp();
    if not_after <= not_before {
        out.error(
            "validity",
            "9303-12 §7.1.1 Table 5",
            "notAfter does not come after notBefore",
        );
        return;
    }
    let scope = match permitkit_lds::sod::SignerScope::from_certificate(cert.as_raw()) {
        Ok(s) => s,
        Err(e) => {
            out.error(
                "private-key-usage-period",
                "9303-12 §7.1.1 Table 6",
                e.to_string(),
            );
            return;
        }
    };
    let Some(period) = scope.key_usage_period else {
        return; // absence is reported with Table 6
    };
    if period.not_before.is_none() && period.not_after.is_none() {
        out.error(
            "private-key-usage-period",
            "9303-12 §7.1.1 Table 6",
            "privateKeyUsagePeriod has neither notBefore nor notAfter",
        );
        return;
    }
    let show = crate::profile::utc_text;
    if let Some(start) = period.not_before
        && start < not_before
    {
        out.warning(
            "usage-period-validity",
            TABLE1,
            format!(
                "the private key may sign from {}, before the certificate is valid ({})",
                show(start),
                show(not_before)
            ),
        );
    }
    if let Some(end) = period.not_after
        && end > not_after
    {
        out.error(
            "usage-period-validity",
            "9303-12 §4.1.1.1, §4.1.4.1",
            format!(
                "the private key may sign until {}, after the certificate expires ({}): its last \
                 signatures could not be verified",
                show(end),
                show(not_after)
            ),
        );
    }
    let (Some(start), Some(end)) = (period.not_before, period.not_after) else {
        return;
    };
    let days = (end - start) / DAY;
    match role {
        Role::DocumentSigner if days > 100 => out.warning(
            "usage-period-length",
            "9303-12 §4.1.1.2",
            format!(
                "the Document Signer's key signs for {days} days: the recommended maximum is \
                 three months"
            ),
        ),
        Role::CscaRoot | Role::CscaLink if days > 5 * 366 => out.warning(
            "usage-period-length",
            "9303-12 §4.1.4.2",
            format!(
                "the CSCA key signs for {days} days: it should be replaced every three to five \
                 years"
            ),
        ),
        _ => {}
    }
}
