#!/usr/bin/env python3
"""Converts the MediaPipe face models (TFLite flatbuffers) to ONNX for tract.

Conversion-time tool only: the Rust runtime never runs Python. The public converters do not
handle these files as shipped (tflite2onnx 0.4.1 stops on the float16 weights of the face mesh
model and on the detector's channel padding), so this script reads the flatbuffer with the
`tflite` schema package and writes an equivalent ONNX graph for the few operators the models
use:

    CONV_2D, DEPTHWISE_CONV_2D, ADD, PRELU, RELU, MAX_POOL_2D, PAD, RESHAPE, CONCATENATION,
    DEQUANTIZE (float16 weights, folded into float32 initialisers)

Layout: TFLite is NHWC, ONNX convolutions are NCHW. The ONNX model takes an NCHW float input
(the same values MediaPipe feeds: RGB scaled to [0, 1] for the mesh and iris models, [-1, 1]
for the detector). Every rank-4 activation is kept NCHW; before a RESHAPE the tensor is
transposed back to NHWC so that element order is TFLite's. Outputs keep TFLite's shapes.

`verify.py` compares every converted model with the TFLite reference interpreter.

Usage: tflite_to_onnx.py IN.tflite OUT.onnx
"""

import sys

import numpy as np
import onnx
import tflite
from onnx import TensorProto, helper, numpy_helper

OPS = {v: k for k, v in tflite.BuiltinOperator.__dict__.items() if not k.startswith("_")}
DTYPES = {
    tflite.TensorType.FLOAT32: np.float32,
    tflite.TensorType.FLOAT16: np.float16,
    tflite.TensorType.INT32: np.int32,
    tflite.TensorType.INT64: np.int64,
}
ACTIVATIONS = {0: None, 1: "Relu"}


class Converter:
    def __init__(self, buf):
        self.model = tflite.Model.GetRootAsModel(buf, 0)
        self.graph = self.model.Subgraphs(0)
        self.nodes = []
        self.inits = []
        self.consts = {}  # tensor index -> numpy array (TFLite layout)
        self.names = {}  # tensor index -> ONNX value name
        self.nchw = set()  # tensor indices whose ONNX value is NCHW (rank 4 activations)
        self.counter = 0

    def fresh(self, base):
        self.counter += 1
        return f"{base}__{self.counter}"

    def tensor(self, i):
        return self.graph.Tensors(i)

    def shape(self, i):
        return self.tensor(i).ShapeAsNumpy().tolist()

    def const(self, i):
        if i in self.consts:
            return self.consts[i]
        t = self.tensor(i)
        data = self.model.Buffers(t.Buffer()).DataAsNumpy()
        if isinstance(data, int) or len(data) == 0:
            return None
        arr = np.frombuffer(data.tobytes(), dtype=DTYPES[t.Type()]).reshape(self.shape(i))
        self.consts[i] = arr
        return arr

    def init(self, arr, base):
        name = self.fresh(base)
        self.inits.append(numpy_helper.from_array(np.ascontiguousarray(arr), name))
        return name

    def name(self, i):
        if i not in self.names:
            self.names[i] = self.tensor(i).Name().decode()
        return self.names[i]

    def node(self, op, inputs, outputs, **attrs):
        self.nodes.append(helper.make_node(op, inputs, outputs, **attrs))

    def activation(self, out_index, raw_name, fused):
        act = ACTIVATIONS.get(fused, "unsupported")
        if act == "unsupported":
            raise NotImplementedError(f"fused activation {fused}")
        if act is None:
            return raw_name
        out = self.fresh(self.name(out_index) + "_act")
        self.node(act, [raw_name], [out])
        return out

    @staticmethod
    def same_pads(in_hw, k_hw, s_hw, d_hw=(1, 1)):
        pads_b, pads_e = [], []
        for n, k, s, d in zip(in_hw, k_hw, s_hw, d_hw):
            ek = (k - 1) * d + 1
            out = -(-n // s)
            total = max((out - 1) * s + ek - n, 0)
            pads_b.append(total // 2)
            pads_e.append(total - total // 2)
        return pads_b + pads_e

    def options(self, op, cls):
        table = op.BuiltinOptions()
        o = cls()
        o.Init(table.Bytes, table.Pos)
        return o

    def convert(self):
        g = self.graph
        inp = g.Inputs(0)
        n, h, w, c = self.shape(inp)
        self.names[inp] = "input"
        self.nchw.add(inp)
        graph_inputs = [helper.make_tensor_value_info("input", TensorProto.FLOAT, [n, c, h, w])]
        for k in range(g.OperatorsLength()):
            op = g.Operators(k)
            code = self.model.OperatorCodes(op.OpcodeIndex())
            kind = OPS[max(code.BuiltinCode(), code.DeprecatedBuiltinCode())]
            ins = op.InputsAsNumpy().tolist()
            outs = op.OutputsAsNumpy().tolist()
            getattr(self, "op_" + kind.lower())(op, ins, outs)
        graph_outputs = []
        for j in range(g.OutputsLength()):
            o = g.Outputs(j)
            shape = self.shape(o)
            name = self.name(o)
            if o in self.nchw:
                # Back to TFLite's NHWC so that outputs are element-for-element the reference's.
                final = self.fresh(name + "_nhwc")
                self.node("Transpose", [name], [final], perm=[0, 2, 3, 1])
            else:
                final = self.fresh(name)
                self.node("Identity", [name], [final])
            out_name = self.tensor(o).Name().decode()
            self.node("Identity", [final], [out_name + ":0"])
            graph_outputs.append(
                helper.make_tensor_value_info(out_name + ":0", TensorProto.FLOAT, shape)
            )
        graph = helper.make_graph(self.nodes, "mediapipe", graph_inputs, graph_outputs, self.inits)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
        model.producer_name = "permitkit tools/face-models/tflite_to_onnx.py"
        onnx.checker.check_model(model)
        return model

    # ---- operators ----

    def op_dequantize(self, op, ins, outs):
        arr = self.const(ins[0])
        self.consts[outs[0]] = arr.astype(np.float32)

    def op_conv_2d(self, op, ins, outs):
        # TFLite weights O, KH, KW, I -> ONNX O, I, KH, KW.
        self.conv(op, ins, outs, tflite.Conv2DOptions, (0, 3, 1, 2), "_conv", depthwise=False)

    def op_depthwise_conv_2d(self, op, ins, outs):
        # TFLite weights 1, KH, KW, C*M -> ONNX C*M, 1, KH, KW, one group per input channel.
        self.conv(op, ins, outs, tflite.DepthwiseConv2DOptions, (3, 0, 1, 2), "_dw", depthwise=True)

    def conv(self, op, ins, outs, options, perm, suffix, depthwise):
        """CONV_2D and DEPTHWISE_CONV_2D as one ONNX Conv (NHWC weights transposed by perm)."""
        o = self.options(op, options)
        x, wt, b = ins
        weights = self.const(wt).astype(np.float32)
        bias = self.const(b).astype(np.float32)
        _, ih, iw, ic = self.shape(x)
        _, kh, kw, _ = weights.shape
        strides = [o.StrideH(), o.StrideW()]
        dil = [o.DilationHFactor(), o.DilationWFactor()]
        pads = (
            self.same_pads((ih, iw), (kh, kw), strides, dil)
            if o.Padding() == tflite.Padding.SAME
            else [0, 0, 0, 0]
        )
        extra = {"group": ic} if depthwise else {}
        raw = self.fresh(self.name(outs[0]) + suffix)
        self.node(
            "Conv",
            [self.name(x), self.init(weights.transpose(*perm), "w"), self.init(bias, "b")],
            [raw],
            kernel_shape=[kh, kw],
            strides=strides,
            dilations=dil,
            pads=pads,
            **extra,
        )
        self.names[outs[0]] = self.activation(outs[0], raw, o.FusedActivationFunction())
        self.nchw.add(outs[0])

    def op_add(self, op, ins, outs):
        o = self.options(op, tflite.AddOptions)
        a, b = ins
        for t in (a, b):
            if self.const(t) is not None:
                raise NotImplementedError("ADD with a constant operand")
        raw = self.fresh(self.name(outs[0]) + "_add")
        self.node("Add", [self.name(a), self.name(b)], [raw])
        self.names[outs[0]] = self.activation(outs[0], raw, o.FusedActivationFunction())
        if a in self.nchw:
            self.nchw.add(outs[0])

    def op_prelu(self, op, ins, outs):
        x, alpha = ins
        slope = self.const(alpha).astype(np.float32).reshape(-1)
        c = self.shape(x)[-1]
        if slope.size == 1:
            slope = np.full(c, slope[0], np.float32)
        self.node("PRelu", [self.name(x), self.init(slope.reshape(c, 1, 1), "slope")],
                  [self.name(outs[0])])
        self.nchw.add(outs[0])

    def op_relu(self, op, ins, outs):
        self.node("Relu", [self.name(ins[0])], [self.name(outs[0])])
        if ins[0] in self.nchw:
            self.nchw.add(outs[0])

    def op_max_pool_2d(self, op, ins, outs):
        o = self.options(op, tflite.Pool2DOptions)
        x = ins[0]
        _, ih, iw, _ = self.shape(x)
        k = [o.FilterHeight(), o.FilterWidth()]
        s = [o.StrideH(), o.StrideW()]
        pads = self.same_pads((ih, iw), k, s) if o.Padding() == tflite.Padding.SAME else [0] * 4
        raw = self.fresh(self.name(outs[0]) + "_pool")
        self.node("MaxPool", [self.name(x)], [raw], kernel_shape=k, strides=s, pads=pads)
        self.names[outs[0]] = self.activation(outs[0], raw, o.FusedActivationFunction())
        self.nchw.add(outs[0])

    def op_pad(self, op, ins, outs):
        x, p = ins
        pads = self.const(p).astype(np.int64)  # NHWC: [[n0,n1],[h0,h1],[w0,w1],[c0,c1]]
        order = [0, 3, 1, 2]
        onnx_pads = [pads[a][0] for a in order] + [pads[a][1] for a in order]
        self.node(
            "Pad",
            [self.name(x), self.init(np.array(onnx_pads, np.int64), "pads")],
            [self.name(outs[0])],
            mode="constant",
        )
        self.nchw.add(outs[0])

    def op_reshape(self, op, ins, outs):
        x = ins[0]
        shape = np.array(self.shape(outs[0]), np.int64)
        src = self.name(x)
        if x in self.nchw:
            src2 = self.fresh(src + "_nhwc")
            self.node("Transpose", [src], [src2], perm=[0, 2, 3, 1])
            src = src2
        self.node("Reshape", [src, self.init(shape, "shape")], [self.name(outs[0])])

    def op_concatenation(self, op, ins, outs):
        o = self.options(op, tflite.ConcatenationOptions)
        if any(t in self.nchw for t in ins):
            raise NotImplementedError("concatenation of NCHW activations")
        raw = self.fresh(self.name(outs[0]) + "_cat")
        self.node("Concat", [self.name(t) for t in ins], [raw], axis=o.Axis())
        self.names[outs[0]] = self.activation(outs[0], raw, o.FusedActivationFunction())


def main():
    src, dst = sys.argv[1], sys.argv[2]
    with open(src, "rb") as f:
        model = Converter(f.read()).convert()
    onnx.save(model, dst)


if __name__ == "__main__":
    main()
