"""The floor: a minimal Starlette app answering a JSON POST, under uvicorn with httptools and uvloop.

    python bench/floor_app.py PORT
"""

from __future__ import annotations

import sys

import orjson
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


async def answer(request: Request) -> Response:
    body = orjson.loads(await request.body())
    out = {"rt_cd": "0", "msg_cd": "APBK0013", "msg1": "주문 전송 완료 되었습니다.",
           "output": {"KRX_FWDG_ORD_ORGNO": "01790", "ODNO": body.get("ORGN_ODNO", ""), "ORD_TMD": "000000"}}
    return Response(orjson.dumps(out), media_type="application/json")


async def health(request: Request) -> Response:
    return Response(b'{"status":"ok"}', media_type="application/json")


app = Starlette(routes=[Route("/uapi/overseas-stock/v1/trading/order-rvsecncl", answer, methods=["POST"]),
                        Route("/localkis/health", health, methods=["GET"])])

if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), http="httptools", loop="uvloop", log_level="warning",
                access_log=False)
