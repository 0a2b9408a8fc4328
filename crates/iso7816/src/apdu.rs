//! Command and response APDUs (ISO/IEC 7816-4:2020 §5.1, §5.6).
//!
//! [`CommandApdu`] encodes itself in the short form when it can and in the extended form
//! (`00 Lc1 Lc2 … Le1 Le2`) when the data exceeds 255 bytes or the expected length exceeds 256;
//! [`CommandApdu::parse`] reads all seven cases (1, 2S, 3S, 4S, 2E, 3E, 4E), which the virtual
//! chip needs because it receives APDUs from untrusted peers. [`StatusWord`] names the meaning
//! of SW1-SW2 from ISO/IEC 7816-4 Tables 5–6 and ICAO 9303-11.
//!
//! `Debug` on both types prints the header, lengths and status word, never the data: APDU
//! traces must not leak keys, MRZ data or biometrics (ARCHITECTURE.md §6). The data buffers are
//! zeroized when an APDU is dropped.

use std::fmt;

use zeroize::Zeroize;

/// Largest data field: extended Lc is two bytes.
pub const MAX_DATA_LEN: usize = 65_535;
/// Largest expected length: extended Le `0000` means 65 536.
pub const MAX_LE: usize = 65_536;
/// Largest data field in a short APDU.
pub const SHORT_MAX_DATA: usize = 255;
/// Largest expected length in a short APDU (Le `00`).
pub const SHORT_MAX_LE: usize = 256;

/// What is wrong with an APDU.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ApduError {
    /// Fewer than four header bytes.
    #[error("command APDU of {0} bytes is shorter than its 4-byte header")]
    TooShort(usize),
    /// The body does not match any of the seven ISO/IEC 7816-4 cases.
    #[error("command APDU body of {body} bytes does not match Lc/Le ({reason})")]
    InconsistentLength {
        /// Bytes after the header.
        body: usize,
        /// Which rule was broken.
        reason: &'static str,
    },
    /// A response APDU of fewer than two bytes (no status word).
    #[error("response APDU of {0} bytes has no status word")]
    NoStatusWord(usize),
    /// A data field longer than 65 535 bytes.
    #[error("data field of {0} bytes exceeds the extended-length maximum of 65535")]
    DataTooLong(usize),
    /// An expected length outside 1..=65 536.
    #[error("expected length {0} is outside 1..=65536")]
    LeOutOfRange(usize),
}

/// A command APDU.
#[derive(Clone, PartialEq, Eq)]
pub struct CommandApdu {
    cla: u8,
    ins: u8,
    p1: u8,
    p2: u8,
    data: Vec<u8>,
    le: Option<usize>,
}

impl CommandApdu {
    /// A case-1 command (header only).
    pub fn new(cla: u8, ins: u8, p1: u8, p2: u8) -> Self {
        Self {
            cla,
            ins,
            p1,
            p2,
            data: Vec::new(),
            le: None,
        }
    }

    /// Adds a data field (cases 3 and 4).
    pub fn with_data(mut self, data: Vec<u8>) -> Result<Self, ApduError> {
        if data.len() > MAX_DATA_LEN {
            return Err(ApduError::DataTooLong(data.len()));
        }
        self.data = data;
        Ok(self)
    }

    /// Adds an expected response length Ne in 1..=65 536 (cases 2 and 4); 256 is short `Le 00`.
    pub fn with_le(mut self, le: usize) -> Result<Self, ApduError> {
        if le == 0 || le > MAX_LE {
            return Err(ApduError::LeOutOfRange(le));
        }
        self.le = Some(le);
        Ok(self)
    }

    /// Class byte.
    pub fn cla(&self) -> u8 {
        self.cla
    }
    /// Instruction byte.
    pub fn ins(&self) -> u8 {
        self.ins
    }
    /// Parameter 1.
    pub fn p1(&self) -> u8 {
        self.p1
    }
    /// Parameter 2.
    pub fn p2(&self) -> u8 {
        self.p2
    }
    /// The four header bytes.
    pub fn header(&self) -> [u8; 4] {
        [self.cla, self.ins, self.p1, self.p2]
    }
    /// The data field (empty for cases 1 and 2).
    pub fn data(&self) -> &[u8] {
        &self.data
    }
    /// The expected response length Ne, if any.
    pub fn le(&self) -> Option<usize> {
        self.le
    }

    /// Returns a copy with another class byte (secure messaging and chaining set bits in CLA).
    pub fn with_cla(mut self, cla: u8) -> Self {
        self.cla = cla;
        self
    }

    /// True when the encoding needs the extended length form.
    pub fn is_extended(&self) -> bool {
        self.data.len() > SHORT_MAX_DATA || self.le.is_some_and(|le| le > SHORT_MAX_LE)
    }

    /// Encodes the command, short form when possible.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(4 + 3 + self.data.len() + 2);
        out.extend_from_slice(&self.header());
        // Lengths are bounded by the constructors: data <= 65535, 1 <= le <= 65536.
        let lc = u16::try_from(self.data.len()).unwrap_or(u16::MAX);
        if self.is_extended() {
            if !self.data.is_empty() {
                out.push(0);
                out.extend_from_slice(&lc.to_be_bytes());
                out.extend_from_slice(&self.data);
            }
            if let Some(le) = self.le {
                if self.data.is_empty() {
                    out.push(0);
                }
                let le = if le == MAX_LE { 0 } else { le };
                out.extend_from_slice(&u16::try_from(le).unwrap_or(0).to_be_bytes());
            }
        } else {
            if !self.data.is_empty() {
                out.push(lc.to_be_bytes()[1]);
                out.extend_from_slice(&self.data);
            }
            if let Some(le) = self.le {
                let le = if le == SHORT_MAX_LE { 0 } else { le };
                out.push(u8::try_from(le).unwrap_or(0));
            }
        }
        out
    }

    /// Parses any of the seven ISO/IEC 7816-4 §5.1 cases.
    pub fn parse(bytes: &[u8]) -> Result<Self, ApduError> {
        let (header, body) = bytes
            .split_first_chunk::<4>()
            .ok_or(ApduError::TooShort(bytes.len()))?;
        let [cla, ins, p1, p2] = *header;
        let mut cmd = Self::new(cla, ins, p1, p2);
        let inconsistent = |reason| ApduError::InconsistentLength {
            body: body.len(),
            reason,
        };
        match body {
            [] => {}
            [le] => {
                cmd.le = Some(if *le == 0 {
                    SHORT_MAX_LE
                } else {
                    usize::from(*le)
                })
            }
            [0, rest @ ..] if rest.len() >= 2 => {
                let Some((len_bytes, tail)) = rest.split_first_chunk::<2>() else {
                    return Err(inconsistent("extended length field truncated"));
                };
                let n = usize::from(u16::from_be_bytes(*len_bytes));
                if tail.is_empty() {
                    // case 2E
                    cmd.le = Some(if n == 0 { MAX_LE } else { n });
                } else {
                    if n == 0 {
                        return Err(inconsistent("extended Lc of 0"));
                    }
                    let data = tail
                        .get(..n)
                        .ok_or_else(|| inconsistent("data shorter than Lc"))?;
                    cmd.data = data.to_vec();
                    match tail.get(n..).unwrap_or_default() {
                        [] => {}
                        [a, b] => {
                            let le = usize::from(u16::from_be_bytes([*a, *b]));
                            cmd.le = Some(if le == 0 { MAX_LE } else { le });
                        }
                        _ => return Err(inconsistent("extended Le must be 2 bytes")),
                    }
                }
            }
            [lc, rest @ ..] => {
                let n = usize::from(*lc);
                if n == 0 {
                    return Err(inconsistent("short Lc of 0"));
                }
                let data = rest
                    .get(..n)
                    .ok_or_else(|| inconsistent("data shorter than Lc"))?;
                cmd.data = data.to_vec();
                match rest.get(n..).unwrap_or_default() {
                    [] => {}
                    [le] => {
                        cmd.le = Some(if *le == 0 {
                            SHORT_MAX_LE
                        } else {
                            usize::from(*le)
                        })
                    }
                    _ => return Err(inconsistent("bytes after short Le")),
                }
            }
        }
        Ok(cmd)
    }
}

impl Drop for CommandApdu {
    fn drop(&mut self) {
        self.data.zeroize();
    }
}

impl fmt::Debug for CommandApdu {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "CommandApdu {{ header: {:02X}{:02X}{:02X}{:02X}, lc: {}, le: {:?} }}",
            self.cla,
            self.ins,
            self.p1,
            self.p2,
            self.data.len(),
            self.le
        )
    }
}

/// A response APDU: data and status word.
#[derive(Clone, PartialEq, Eq)]
pub struct ResponseApdu {
    data: Vec<u8>,
    sw: StatusWord,
}

impl ResponseApdu {
    /// A response with `data` and status word `sw`.
    pub fn new(data: Vec<u8>, sw: StatusWord) -> Self {
        Self { data, sw }
    }

    /// A response with no data.
    pub fn status(sw: StatusWord) -> Self {
        Self::new(Vec::new(), sw)
    }

    /// Splits received bytes into data and SW1-SW2.
    pub fn parse(bytes: &[u8]) -> Result<Self, ApduError> {
        let (data, sw) = bytes
            .split_last_chunk::<2>()
            .ok_or(ApduError::NoStatusWord(bytes.len()))?;
        Ok(Self::new(data.to_vec(), StatusWord::from_bytes(*sw)))
    }

    /// The response data.
    pub fn data(&self) -> &[u8] {
        &self.data
    }

    /// Moves the data out (the response is left empty).
    pub fn take_data(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.data)
    }

    /// The status word.
    pub fn sw(&self) -> StatusWord {
        self.sw
    }

    /// True for `9000`.
    pub fn is_success(&self) -> bool {
        self.sw.is_success()
    }

    /// Data followed by SW1-SW2, as sent on the wire.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.data.len() + 2);
        out.extend_from_slice(&self.data);
        out.extend_from_slice(&self.sw.to_bytes());
        out
    }
}

impl Drop for ResponseApdu {
    fn drop(&mut self) {
        self.data.zeroize();
    }
}

impl fmt::Debug for ResponseApdu {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "ResponseApdu {{ len: {}, sw: {} }}",
            self.data.len(),
            self.sw
        )
    }
}

/// SW1-SW2, the processing status of a command (ISO/IEC 7816-4 §5.6).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct StatusWord(pub u16);

impl StatusWord {
    /// `9000` normal processing.
    pub const SUCCESS: Self = Self(0x9000);
    /// `6282` end of file reached before reading Ne bytes.
    pub const END_OF_FILE: Self = Self(0x6282);
    /// `6300` authentication failed (BAC, TA).
    pub const AUTHENTICATION_FAILED: Self = Self(0x6300);
    /// `6581` memory failure.
    pub const MEMORY_FAILURE: Self = Self(0x6581);
    /// `6700` wrong length.
    pub const WRONG_LENGTH: Self = Self(0x6700);
    /// `6882` secure messaging not supported.
    pub const SM_NOT_SUPPORTED: Self = Self(0x6882);
    /// `6883` last command of the chain expected.
    pub const LAST_COMMAND_EXPECTED: Self = Self(0x6883);
    /// `6884` command chaining not supported.
    pub const CHAINING_NOT_SUPPORTED: Self = Self(0x6884);
    /// `6982` security status not satisfied.
    pub const SECURITY_STATUS_NOT_SATISFIED: Self = Self(0x6982);
    /// `6983` authentication method blocked.
    pub const AUTHENTICATION_METHOD_BLOCKED: Self = Self(0x6983);
    /// `6984` reference data not usable.
    pub const REFERENCE_DATA_NOT_USABLE: Self = Self(0x6984);
    /// `6985` conditions of use not satisfied.
    pub const CONDITIONS_NOT_SATISFIED: Self = Self(0x6985);
    /// `6986` command not allowed (no current EF).
    pub const COMMAND_NOT_ALLOWED: Self = Self(0x6986);
    /// `6987` expected secure messaging data objects missing.
    pub const SM_DATA_OBJECTS_MISSING: Self = Self(0x6987);
    /// `6988` incorrect secure messaging data objects.
    pub const SM_DATA_OBJECTS_INCORRECT: Self = Self(0x6988);
    /// `6A80` incorrect parameters in the data field.
    pub const WRONG_DATA: Self = Self(0x6A80);
    /// `6A81` function not supported.
    pub const FUNCTION_NOT_SUPPORTED: Self = Self(0x6A81);
    /// `6A82` file or application not found.
    pub const FILE_NOT_FOUND: Self = Self(0x6A82);
    /// `6A84` not enough memory space in the file.
    pub const NOT_ENOUGH_MEMORY: Self = Self(0x6A84);
    /// `6A86` incorrect parameters P1-P2.
    pub const INCORRECT_P1P2: Self = Self(0x6A86);
    /// `6A87` Lc inconsistent with P1-P2.
    pub const LC_INCONSISTENT: Self = Self(0x6A87);
    /// `6A88` referenced data not found.
    pub const REFERENCE_DATA_NOT_FOUND: Self = Self(0x6A88);
    /// `6A89` file already exists.
    pub const FILE_ALREADY_EXISTS: Self = Self(0x6A89);
    /// `6B00` wrong parameters P1-P2 (offset outside the EF).
    pub const WRONG_P1P2: Self = Self(0x6B00);
    /// `6D00` instruction code not supported.
    pub const INS_NOT_SUPPORTED: Self = Self(0x6D00);
    /// `6E00` class not supported.
    pub const CLA_NOT_SUPPORTED: Self = Self(0x6E00);
    /// `6F00` no precise diagnosis.
    pub const NO_PRECISE_DIAGNOSIS: Self = Self(0x6F00);

    /// From SW1 and SW2.
    pub const fn from_bytes(sw: [u8; 2]) -> Self {
        Self(u16::from_be_bytes(sw))
    }

    /// SW1 and SW2.
    pub const fn to_bytes(self) -> [u8; 2] {
        self.0.to_be_bytes()
    }

    /// SW1.
    pub const fn sw1(self) -> u8 {
        self.to_bytes()[0]
    }

    /// SW2.
    pub const fn sw2(self) -> u8 {
        self.to_bytes()[1]
    }

    /// True for `9000`.
    pub const fn is_success(self) -> bool {
        self.0 == 0x9000
    }

    /// For `61xx`: how many more bytes GET RESPONSE may fetch (`00` means 256).
    pub const fn bytes_available(self) -> Option<usize> {
        if self.sw1() == 0x61 {
            Some(if self.sw2() == 0 {
                256
            } else {
                self.sw2() as usize
            })
        } else {
            None
        }
    }

    /// For `6Cxx`: the exact Le the card wants the command re-sent with (`00` means 256).
    pub const fn exact_length(self) -> Option<usize> {
        if self.sw1() == 0x6C {
            Some(if self.sw2() == 0 {
                256
            } else {
                self.sw2() as usize
            })
        } else {
            None
        }
    }

    /// For `63Cx`: verification failed with x retries left.
    pub const fn retries_left(self) -> Option<u8> {
        if self.sw1() == 0x63 && self.sw2() & 0xF0 == 0xC0 {
            Some(self.sw2() & 0x0F)
        } else {
            None
        }
    }

    /// The meaning from ISO/IEC 7816-4 Tables 5 and 6.
    pub fn meaning(self) -> &'static str {
        match self.0 {
            0x9000 => "normal processing",
            0x6282 => "end of file reached before reading Ne bytes",
            0x6283 => "selected file deactivated",
            0x6300 => "authentication failed",
            0x6581 => "memory failure",
            0x6700 => "wrong length",
            0x6881 => "logical channel not supported",
            0x6882 => "secure messaging not supported",
            0x6883 => "last command of the chain expected",
            0x6884 => "command chaining not supported",
            0x6982 => "security status not satisfied",
            0x6983 => "authentication method blocked",
            0x6984 => "reference data not usable",
            0x6985 => "conditions of use not satisfied",
            0x6986 => "command not allowed (no current EF)",
            0x6987 => "expected secure messaging data objects missing",
            0x6988 => "incorrect secure messaging data objects",
            0x6A80 => "incorrect parameters in the data field",
            0x6A81 => "function not supported",
            0x6A82 => "file or application not found",
            0x6A84 => "not enough memory space in the file",
            0x6A86 => "incorrect parameters P1-P2",
            0x6A87 => "Lc inconsistent with P1-P2",
            0x6A88 => "referenced data not found",
            0x6A89 => "file already exists",
            0x6B00 => "wrong parameters P1-P2 (offset outside the EF)",
            0x6D00 => "instruction code not supported or invalid",
            0x6E00 => "class not supported",
            0x6F00 => "no precise diagnosis",
            _ => match self.sw1() {
                0x61 => "more response bytes available (GET RESPONSE)",
                0x62 => "warning: state of non-volatile memory unchanged",
                0x63 if self.sw2() & 0xF0 == 0xC0 => "verification failed (counter in SW2)",
                0x63 => "warning: state of non-volatile memory changed",
                0x64 => "execution error: state of non-volatile memory unchanged",
                0x65 => "execution error: state of non-volatile memory changed",
                0x66 => "security-related issue",
                0x67 => "wrong length",
                0x68 => "functions in CLA not supported",
                0x69 => "command not allowed",
                0x6A => "wrong parameters P1-P2",
                0x6C => "wrong Le field (exact length in SW2)",
                _ => "unknown status",
            },
        }
    }
}

impl fmt::Display for StatusWord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04X} ({})", self.0, self.meaning())
    }
}

impl fmt::Debug for StatusWord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StatusWord({:04X})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn cmd(hex_str: &str) -> CommandApdu {
        CommandApdu::parse(&hex::decode(hex_str).unwrap()).unwrap()
    }

    #[test]
    fn encodes_the_9303_commands() {
        let select = CommandApdu::new(0x00, 0xA4, 0x04, 0x0C)
            .with_data(hex::decode("A0000002471001").unwrap())
            .unwrap();
        assert_eq!(
            hex::encode_upper(select.to_bytes()),
            "00A4040C07A0000002471001"
        );
        let challenge = CommandApdu::new(0x00, 0x84, 0x00, 0x00).with_le(8).unwrap();
        assert_eq!(hex::encode_upper(challenge.to_bytes()), "0084000008");
        let read = CommandApdu::new(0x00, 0xB0, 0x9E, 0x00)
            .with_le(256)
            .unwrap();
        assert_eq!(hex::encode_upper(read.to_bytes()), "00B09E0000");
    }

    #[test]
    fn extended_forms() {
        let big = CommandApdu::new(0x00, 0xD6, 0x00, 0x00)
            .with_data(vec![0x55; 1000])
            .unwrap();
        let bytes = big.to_bytes();
        assert_eq!(&bytes[..7], &[0x00, 0xD6, 0x00, 0x00, 0x00, 0x03, 0xE8]);
        assert_eq!(bytes.len(), 1007);
        assert_eq!(CommandApdu::parse(&bytes).unwrap(), big);

        let read = CommandApdu::new(0x00, 0xB0, 0x00, 0x00)
            .with_le(65_536)
            .unwrap();
        assert_eq!(read.to_bytes(), [0x00, 0xB0, 0x00, 0x00, 0x00, 0x00, 0x00]);
        assert_eq!(
            CommandApdu::parse(&read.to_bytes()).unwrap().le(),
            Some(65_536)
        );

        let case4 = CommandApdu::new(0x0C, 0xB0, 0, 0)
            .with_data(vec![1; 300])
            .unwrap()
            .with_le(65_536)
            .unwrap();
        let b = case4.to_bytes();
        assert_eq!(&b[b.len() - 2..], &[0, 0]);
        assert_eq!(CommandApdu::parse(&b).unwrap(), case4);
    }

    #[test]
    fn parses_all_short_cases() {
        assert_eq!(cmd("00A40000").le(), None);
        assert_eq!(cmd("00B0000000").le(), Some(256));
        let c3 = cmd("00A4020C02011E");
        assert_eq!((c3.data(), c3.le()), (&[0x01, 0x1E][..], None));
        let c4 = cmd("0088000008010203040506070800");
        assert_eq!((c4.data().len(), c4.le()), (8, Some(256)));
    }

    #[test]
    fn refuses_inconsistent_lengths() {
        for bad in [
            "00A4",
            "00A4020C0301",
            "00A4020C02011E0000",
            "00B0000000000005",
            "00D6000000000301",
        ] {
            assert!(
                CommandApdu::parse(&hex::decode(bad).unwrap()).is_err(),
                "{bad} should be refused"
            );
        }
        assert!(CommandApdu::new(0, 0, 0, 0).with_le(0).is_err());
        assert!(
            CommandApdu::new(0, 0, 0, 0)
                .with_data(vec![0; 65_536])
                .is_err()
        );
    }

    #[test]
    fn debug_never_prints_data() {
        let c = CommandApdu::new(0x00, 0x82, 0, 0)
            .with_data(vec![0xAB; 40])
            .unwrap();
        let shown = format!("{c:?}");
        assert_eq!(shown, "CommandApdu { header: 00820000, lc: 40, le: None }");
        let r = ResponseApdu::parse(&[0xDE, 0xAD, 0x90, 0x00]).unwrap();
        assert_eq!(
            format!("{r:?}"),
            "ResponseApdu { len: 2, sw: 9000 (normal processing) }"
        );
    }

    #[test]
    fn status_word_meanings() {
        assert_eq!(
            StatusWord::SECURITY_STATUS_NOT_SATISFIED.to_string(),
            "6982 (security status not satisfied)"
        );
        assert_eq!(StatusWord(0x6110).bytes_available(), Some(16));
        assert_eq!(StatusWord(0x6C00).exact_length(), Some(256));
        assert_eq!(StatusWord(0x63C2).retries_left(), Some(2));
        assert_eq!(StatusWord(0x6300).retries_left(), None);
        assert!(ResponseApdu::parse(&[0x90]).is_err());
    }

    proptest! {
        #[test]
        fn round_trip(cla: u8, ins: u8, p1: u8, p2: u8,
                      data in proptest::collection::vec(any::<u8>(), 0..700),
                      le in proptest::option::of(1usize..=65_536)) {
            let mut c = CommandApdu::new(cla, ins, p1, p2).with_data(data).unwrap();
            if let Some(le) = le { c = c.with_le(le).unwrap(); }
            prop_assert_eq!(CommandApdu::parse(&c.to_bytes()).unwrap(), c);
        }

        #[test]
        fn parse_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            if let Ok(c) = CommandApdu::parse(&bytes) {
                // Whatever parses re-encodes to something that parses to the same command.
                prop_assert_eq!(CommandApdu::parse(&c.to_bytes()).unwrap(), c);
            }
            let _ = ResponseApdu::parse(&bytes);
        }
    }
}
