"""Regenerate tbwriter/_proto/*_pb2.py (and the *_pb2.pyi stubs mypy reads) from proto/.

    python tools/gen_protos.py      # needs grpcio-tools (the `dev` extra)

protoc's newer output calls ``runtime_version.ValidateProtobufRuntimeVersion``, which
does not exist before protobuf 5.26 and refuses older runtimes.  The descriptors and
builder calls it emits work on every protobuf from 4.21 on, so the check is removed to
keep one set of generated files for the whole supported range.
"""
from __future__ import annotations

import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
PROTO_DIR = ROOT / "proto"
OUT_DIR = ROOT / "tbwriter" / "_proto"
VERSION_CHECK = re.compile(
    r"^from google\.protobuf import runtime_version as _runtime_version\n"
    r"|^_runtime_version\.ValidateProtobufRuntimeVersion\([^)]*\)\n",
    re.MULTILINE,
)


def main() -> int:
    from grpc_tools import protoc

    sources = sorted(str(p.relative_to(PROTO_DIR)) for p in PROTO_DIR.rglob("*.proto"))
    include = pathlib.Path(protoc.__file__).parent / "_proto"
    tmp = OUT_DIR.parent / "_proto_build"
    tmp.mkdir(exist_ok=True)
    status = protoc.main(["protoc", f"-I{PROTO_DIR}", f"-I{include}", f"--python_out={tmp}", f"--pyi_out={tmp}", *sources])
    if status:
        return status
    for generated in sorted([*tmp.rglob("*_pb2.py"), *tmp.rglob("*_pb2.pyi")]):
        text = VERSION_CHECK.sub("", generated.read_text())
        # Generated modules import each other as `tbwriter.x_pb2`; point them at our package.
        text = text.replace("from tbwriter import ", "from tbwriter._proto import ")
        text = text.replace("_builder.BuildTopDescriptorsAndMessages(DESCRIPTOR, 'tbwriter.",
                            "_builder.BuildTopDescriptorsAndMessages(DESCRIPTOR, 'tbwriter._proto.")
        (OUT_DIR / generated.name).write_text(text)
        generated.unlink()
    for leftover in sorted(tmp.rglob("*"), reverse=True):
        leftover.rmdir()
    tmp.rmdir()
    return 0


if __name__ == "__main__":
    sys.exit(main())
