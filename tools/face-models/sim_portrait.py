"""Makes testdata/sim/portrait-neutral.jpg, the simulated camera's head-and-shoulders portrait,
from testdata/images/biden.jpg (official White House photograph, public domain): the only
neutral, mouth-closed portrait among the project's public-domain images.

  tools/face-models/sim_portrait.py MEDIAPIPE_UNPACKED_WHEEL OUT.jpg

Steps: the photograph is rotated about the eye midpoint so that the eye line is level (the eye
centres are the face mesh's, printed by `cargo run --release -p permitkit-quality --example
face_measures -- biden.jpg`), cropped so that the eyes sit where the simulator expects them
(eye midpoint at (100, 101) of a 200x250 image, inter-eye distance 43 px), the person is cut
out with MediaPipe's selfie segmentation model (mediapipe 0.10.14 wheel, Apache-2.0, run by
the TFLite reference interpreter) and laid on the simulator's plain grey (200, 200, 200), and
the result is scaled to 200x250 and saved as JPEG quality 92. Needs numpy, pillow and
ai-edge-litert (the versions of convert.sh). Deterministic: the sha256 of the output is in
testdata/sim/SOURCES.
"""
import sys

import numpy as np
from PIL import Image, ImageFilter
from ai_edge_litert.interpreter import Interpreter

ROOT = __file__.rsplit("/tools/", 1)[0]
RIGHT_EYE = (531.9, 323.9)  # subject's right eye (image left), biden.jpg pixels
LEFT_EYE = (651.9, 349.6)
OUT_SIZE = (200, 250)
OUT_MID = (100.0, 101.0)
OUT_IED = 43.0
GREY = 200


def main(wheel_dir: str, out: str) -> None:
    im = Image.open(f"{ROOT}/testdata/images/biden.jpg").convert("RGB")
    mid = ((RIGHT_EYE[0] + LEFT_EYE[0]) / 2, (RIGHT_EYE[1] + LEFT_EYE[1]) / 2)
    dx, dy = LEFT_EYE[0] - RIGHT_EYE[0], LEFT_EYE[1] - RIGHT_EYE[1]
    roll = np.degrees(np.arctan2(dy, dx))
    ied = float(np.hypot(dx, dy))
    # PIL rotates counter-clockwise on screen; the eye line falls to the right by `roll`.
    level = im.rotate(roll, resample=Image.BICUBIC, center=mid)
    s = OUT_IED / ied
    w, h = OUT_SIZE[0] / s, OUT_SIZE[1] / s
    box = (mid[0] - OUT_MID[0] / s, mid[1] - OUT_MID[1] / s)
    box = tuple(round(v) for v in (box[0], box[1], box[0] + w, box[1] + h))
    crop = level.crop(box)
    seg = Interpreter(
        model_path=f"{wheel_dir}/mediapipe/modules/selfie_segmentation/selfie_segmentation.tflite"
    )
    seg.allocate_tensors()
    x = np.asarray(crop.resize((256, 256), Image.BILINEAR), dtype=np.float32)[None] / 255.0
    seg.set_tensor(seg.get_input_details()[0]["index"], x)
    seg.invoke()
    mask = seg.get_tensor(seg.get_output_details()[0]["index"])[0, :, :, 0]
    alpha = Image.fromarray(np.uint8(np.clip(mask, 0, 1) * 255)).resize(crop.size, Image.BILINEAR)
    alpha = alpha.filter(ImageFilter.GaussianBlur(2))
    grey = Image.new("RGB", crop.size, (GREY,) * 3)
    person = Image.composite(crop, grey, alpha)
    person.resize(OUT_SIZE, Image.LANCZOS).save(out, quality=92)
    print(f"roll {roll:.2f} deg, IED {ied:.1f} px, crop {box}, wrote {out}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
