#!/usr/bin/env python3
"""Checks a converted model against the TFLite reference interpreter (ai-edge-litert) on
random inputs and on a real face crop, and prints the largest absolute difference per output.

Usage: verify.py MODEL.tflite MODEL.onnx [IMAGE.png]
Exit status 1 when any difference exceeds 1e-3 of the output's range.
"""

import sys

import numpy as np
import onnxruntime as ort
from ai_edge_litert.interpreter import Interpreter


def main():
    tfl, onx = sys.argv[1], sys.argv[2]
    interp = Interpreter(model_path=tfl)
    interp.allocate_tensors()
    inp = interp.get_input_details()[0]
    outs = interp.get_output_details()
    sess = ort.InferenceSession(onx, providers=["CPUExecutionProvider"])
    _, h, w, c = inp["shape"]
    rng = np.random.default_rng(7)
    inputs = [rng.uniform(0.0, 1.0, (1, h, w, c)).astype(np.float32)]
    if len(sys.argv) > 3:
        from PIL import Image

        img = Image.open(sys.argv[3]).convert("RGB").resize((w, h), Image.BILINEAR)
        inputs.append((np.asarray(img, np.float32) / 255.0)[None])
    worst = 0.0
    for x in inputs:
        interp.set_tensor(inp["index"], x)
        interp.invoke()
        got = sess.run(None, {"input": x.transpose(0, 3, 1, 2)})
        for d, g in zip(outs, got):
            ref = interp.get_tensor(d["index"])
            diff = float(np.max(np.abs(ref - g.reshape(ref.shape))))
            span = float(np.max(ref) - np.min(ref)) or 1.0
            worst = max(worst, diff / span)
            print(f"{d['name']}: shape {ref.shape}, max |diff| {diff:.2e} (range {span:.3g})")
    print(f"worst relative difference {worst:.2e}")
    sys.exit(1 if worst > 1e-3 else 0)


if __name__ == "__main__":
    main()
