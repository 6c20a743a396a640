"""A TFLite model's block outputs become plain tensors again: the converter ran on a graph whose block outputs
were extra outputs (so it kept each one as a tensor of its own); this drops them from the outputs and returns
each one's tensor index, for the block map. With a float interface to an int8 model the converter adds a
DEQUANTIZE op per output: those feed nothing once the outputs are gone, so they are removed and the block's
tensor is the int8 one the network computes (the runtime dequantises it with its scale and zero point).
"""

from __future__ import annotations

from collections import Counter


def drop_extra_outputs(flatbuffer: bytes, names: list[str]) -> tuple[bytes, dict[str, int]]:
    """(the model with only its first output, {name: tensor index}) for the extra outputs `names` (in order)."""
    from ai_edge_litert import schema_py_generated as schema
    from ai_edge_litert.tools import flatbuffer_utils as fu

    model = fu.read_model_from_bytearray(bytearray(flatbuffer))
    if len(model.subgraphs) != 1:
        raise ValueError(f"expected a TFLite model with one subgraph, got {len(model.subgraphs)}")
    sg = model.subgraphs[0]
    outputs = [int(t) for t in sg.outputs]
    if len(outputs) != 1 + len(names):
        raise ValueError(f"the TFLite model has {len(outputs)} outputs; expected 1 + {len(names)} block outputs")
    final, extra = outputs[0], outputs[1:]
    producer = {int(t): k for k, op in enumerate(sg.operators) for t in op.outputs}
    consumers = Counter(int(t) for op in sg.operators for t in op.inputs if t >= 0)
    dequantize = {k for k, c in enumerate(model.operatorCodes)
                  if fu.get_builtin_code_from_operator_code(c) == schema.BuiltinOperator.DEQUANTIZE}
    dead: set[int] = set()
    where = {}
    for name, t in zip(names, extra, strict=True):
        k = producer.get(t)
        op = sg.operators[k] if k is not None else None
        if op is not None and op.opcodeIndex in dequantize and not consumers[t] and t != final:
            where[name] = int(op.inputs[0])  # the int8 tensor; its DEQUANTIZE existed only for the output
            dead.add(k)
        else:
            where[name] = t
    sg.outputs = [final]
    sg.operators = [op for k, op in enumerate(sg.operators) if k not in dead]
    for sig in model.signatureDefs or []:
        sig.outputs = [o for o in sig.outputs if int(o.tensorIndex) == final]
    return bytes(fu.convert_object_to_bytearray(model)), where
