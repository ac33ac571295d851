"""The floor: a minimal Starlette app answering a JSON POST, under uvicorn with httptools and uvloop.

    python bench/floor_app.py PORT            # order-rvsecncl, answering with ORGN_ODNO (revise/cancel benchmarks)
    python bench/floor_app.py PORT mixed      # order and order-rvsecncl, each answer with a new ODNO and the
                                              # request's tr_id and gt_uid echoed (the mixed workload)
"""

from __future__ import annotations

import itertools
import sys

import orjson
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

ORDER = "/uapi/overseas-stock/v1/trading/order"
REVISE_CANCEL = "/uapi/overseas-stock/v1/trading/order-rvsecncl"


async def answer(request: Request) -> Response:
    body = orjson.loads(await request.body())
    out = {"rt_cd": "0", "msg_cd": "APBK0013", "msg1": "주문 전송 완료 되었습니다.",
           "output": {"KRX_FWDG_ORD_ORGNO": "01790", "ODNO": body.get("ORGN_ODNO", ""), "ORD_TMD": "000000"}}
    return Response(orjson.dumps(out), media_type="application/json")


_numbers = itertools.count(1)


async def numbered_answer(request: Request) -> Response:
    """What localkis answers an order, a revise or a cancel with: a new order number; KIS echoes tr_id and
    gt_uid (the mixed workload's script tells its answers apart by gt_uid)."""
    orjson.loads(await request.body())
    out = {"rt_cd": "0", "msg_cd": "APBK0013", "msg1": "주문 전송 완료 되었습니다.",
           "output": {"KRX_FWDG_ORD_ORGNO": "01790", "ODNO": f"{next(_numbers):010d}", "ORD_TMD": "000000"}}
    headers = request.headers
    return Response(orjson.dumps(out), media_type="application/json",
                    headers={"tr_id": headers.get("tr_id", ""), "gt_uid": headers.get("gt_uid", "")})


async def health(request: Request) -> Response:
    return Response(b'{"status":"ok"}', media_type="application/json")


def make_app(mixed: bool) -> Starlette:
    if mixed:
        routes = [Route(ORDER, numbered_answer, methods=["POST"]),
                  Route(REVISE_CANCEL, numbered_answer, methods=["POST"])]
    else:
        routes = [Route(REVISE_CANCEL, answer, methods=["POST"])]
    return Starlette(routes=[*routes, Route("/localkis/health", health, methods=["GET"])])


app = make_app(mixed=False)

if __name__ == "__main__":
    uvicorn.run(make_app(mixed=sys.argv[2:3] == ["mixed"]), host="127.0.0.1", port=int(sys.argv[1]),
                http="httptools", loop="uvloop", log_level="warning", access_log=False)
