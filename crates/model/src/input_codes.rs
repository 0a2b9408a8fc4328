//! Linux input event codes a pen tablet reports: the stable kernel ABI of
//! `include/uapi/linux/input-event-codes.h` (kernel `Documentation/input/event-codes.rst`).
//! Signature-pad profiles name end buttons by these codes; the evdev backend decodes events
//! with them.

/// `EV_SYN`.
pub const EV_SYN: u16 = 0x00;

/// `EV_KEY`.
pub const EV_KEY: u16 = 0x01;

/// `EV_ABS`.
pub const EV_ABS: u16 = 0x03;

/// `SYN_REPORT`: end of one snapshot.
pub const SYN_REPORT: u16 = 0;

/// `SYN_DROPPED`: events were lost.
pub const SYN_DROPPED: u16 = 3;

/// `ABS_X`.
pub const ABS_X: u16 = 0x00;

/// `ABS_Y`.
pub const ABS_Y: u16 = 0x01;

/// `ABS_PRESSURE`.
pub const ABS_PRESSURE: u16 = 0x18;

/// `BTN_0`: first generic button (pad buttons on tablets).
pub const BTN_0: u16 = 0x100;

/// `BTN_TOOL_PEN`: the pen tip is in range.
pub const BTN_TOOL_PEN: u16 = 0x140;

/// `BTN_TOOL_RUBBER`: the eraser end is in range.
pub const BTN_TOOL_RUBBER: u16 = 0x141;

/// `BTN_TOUCH`: the tool touches the surface.
pub const BTN_TOUCH: u16 = 0x14a;

/// `BTN_STYLUS`: lower side button of the pen.
pub const BTN_STYLUS: u16 = 0x14b;

/// `BTN_STYLUS2`: upper side button of the pen.
pub const BTN_STYLUS2: u16 = 0x14c;
