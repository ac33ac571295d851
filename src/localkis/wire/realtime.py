"""The real-time WebSocket codec: client messages, control replies, data frames and their records.

Everything a session sends or reads, as KIS words it (WEBSOCKET.md); no I/O, no clock reads.

- client → server: `parse_client_message` (a `Subscription`, a `ClientPingPong`, or a `ControlError`
  that knows its reply); `subscribe_message` builds one (the client's side).
- server → client: `control_reply` / `reply_to` / `pingpong` (JSON text frames), `data_frame`
  (`0|TR|001|f1^f2…`, or `1|TR|001|<base64 AES>` with the session's `SessionKey`).
- records: `ExecutionNotice` (H0GSCNI0/9, in layout 21, 24 or 25), `TradePrint` (HDFSCNT0),
  `BookSnapshot` (HDFSASP0/1), each with a renderer and a parser; `parse_data_frame` and
  `parse_control` read the server's frames back.
"""

from __future__ import annotations

import base64
import binascii
import re
import secrets
import string
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum
from zoneinfo import ZoneInfo

import orjson
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from localkis.protocol.env import Env
from localkis.protocol.exchanges import EXCHANGES, QUOTE_PLACES, Exchange
from localkis.protocol.orders import Side
from localkis.protocol.realtime import (
    ACCEPTED,
    AES_IV_LENGTH,
    AES_KEY_LENGTH,
    BOOK_LEVEL_FIELDS,
    BOOK_LEVELS,
    CASH_LOAN_TYPE,
    CONTROL,
    CUSTTYPES,
    EMPTY_LEVEL_VALUE,
    FILL_NO,
    FILL_YES,
    FRAME_SEPARATORS,
    IOC_CANCELLED,
    MAX_RECORDS_PER_FRAME,
    MAX_TR_KEY_LENGTH,
    NOT_REFUSED,
    NOTICE_EXCHANGE,
    NOTICE_MARKET_CODE,
    NOTICE_ORDER_QTY_WIDTH,
    NOTICE_PRICE12_WIDTH,
    NOTICE_PRICE_PLACES,
    NOTICE_PRICE_WIDTH,
    NOTICE_QTY_WIDTH,
    NOTICE_STREAM,
    NULL_TR_ID,
    NULL_TR_KEY,
    PINGPONG,
    RECORD_FIELDS,
    REFUSED,
    STREAMS,
    Control,
    Correction,
    KeyKind,
    MarketSession,
    NoticeLayout,
    OrderKind2,
    PriceSign,
    Stream,
    StreamSpec,
    TrType,
    invalid_approval_text,
    parse_symbol_key,
)

KST = ZoneInfo("Asia/Seoul")
_ZONES: dict[Exchange, ZoneInfo] = {ex: ZoneInfo(info.timezone) for ex, info in EXCHANGES.items()}
_SEPARATOR_RE = re.compile("[" + re.escape("".join(sorted(FRAME_SEPARATORS))) + "]")
_BREAK_RE = re.compile("[" + re.escape("".join(sorted(FRAME_SEPARATORS - {"^"}))) + "]")


# --- the session's AES key ----------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class SessionKey:
    """The AES-256-CBC key and IV a session hands out in `output` and encrypts notices with.

    Clients use the UTF-8 bytes of both strings, not a hex decoding (§3.1). `generate` makes them
    look like KIS's: 32 lowercase letters and 16 hex digits.
    """

    key: str
    iv: str
    _cipher: Cipher[modes.CBC] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if len(self.key) != AES_KEY_LENGTH or not self.key.isascii():
            raise ValueError(f"AES key must be {AES_KEY_LENGTH} ASCII characters")
        if len(self.iv) != AES_IV_LENGTH or not self.iv.isascii():
            raise ValueError(f"AES iv must be {AES_IV_LENGTH} ASCII characters")
        # One Cipher per session, built once: each frame only asks it for a new encryptor.
        cipher = Cipher(algorithms.AES(self.key.encode()), modes.CBC(self.iv.encode()))
        object.__setattr__(self, "_cipher", cipher)

    @classmethod
    def generate(cls, choice: Callable[[str], str] = secrets.choice) -> SessionKey:
        key = "".join(choice(string.ascii_lowercase) for _ in range(AES_KEY_LENGTH))
        iv = "".join(choice("0123456789abcdef") for _ in range(AES_IV_LENGTH))
        return cls(key, iv)

    def encrypt(self, text: str) -> str:
        """base64(AES-256-CBC(PKCS#7(UTF-8 text))), standard alphabet with `=` padding."""
        padder = padding.PKCS7(128).padder()
        data = padder.update(text.encode()) + padder.finalize()
        encryptor = self._cipher.encryptor()
        return base64.b64encode(encryptor.update(data) + encryptor.finalize()).decode("ascii")

    def decrypt(self, payload: str) -> str:
        try:
            data = base64.b64decode(payload, validate=True)
        except binascii.Error as exc:
            raise FrameError(f"payload is not base64: {exc}") from exc
        if not data or len(data) % 16:
            raise FrameError("payload is not a whole number of AES blocks")
        decryptor = self._cipher.decryptor()
        padded = decryptor.update(data) + decryptor.finalize()
        unpadder = padding.PKCS7(128).unpadder()
        try:
            plain = unpadder.update(padded) + unpadder.finalize()
            return plain.decode()
        except (ValueError, UnicodeDecodeError) as exc:
            raise FrameError(f"payload does not decrypt with this key: {exc}") from exc

    def output(self) -> dict[str, str]:
        """`body.output` of a subscribe reply: iv first, as KIS's replies have it."""
        return {"iv": self.iv, "key": self.key}


# --- client → server: subscribe / unsubscribe -----------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Subscription:
    """A client's subscribe ("1") or unsubscribe ("2") message for one (tr_id, tr_key)."""

    tr_type: TrType
    tr_id: str
    tr_key: str
    approval_key: str
    custtype: str = "P"

    @property
    def subscribe(self) -> bool:
        return self.tr_type is TrType.SUBSCRIBE

    @property
    def spec(self) -> StreamSpec:
        return STREAMS[self.tr_id]


@dataclass(frozen=True, slots=True)
class ClientPingPong:
    """A PINGPONG sent back as text (python-kis re-serialises the server's; others echo it verbatim)."""

    datetime: str


ClientMessage = Subscription | ClientPingPong


class ControlError(Exception):
    """A client message KIS refuses: the control reply it answers with."""

    def __init__(self, control: Control, tr_id: str = NULL_TR_ID, tr_key: str = NULL_TR_KEY,
                 text: str | None = None) -> None:
        self.control = control
        self.tr_id = tr_id
        self.tr_key = tr_key
        self.text = text if text is not None else CONTROL[control].text
        super().__init__(f"{control.value} {self.text}")

    def reply(self) -> str:
        return control_reply(self.control, self.tr_id, self.tr_key, text=self.text)


def parse_client_message(data: str | bytes) -> ClientMessage:
    """Read one text frame from a client; raises `ControlError` with KIS's reply if it is refused.

    JSON-level checks come first (header, approval_key, custtype, tr_type, body, input, tr_key
    present), then what the message names (tr_id known, tr_key of its stream's form). The reply
    echoes the tr_id and tr_key when the message has them as strings, else `(null)` and "".
    Header key order, JSON spacing and `content-type` are ignored: clients differ (§2).
    """
    try:
        message = orjson.loads(data)
    except orjson.JSONDecodeError:
        raise ControlError(Control.INVALID_JSON) from None
    if not isinstance(message, dict):
        raise ControlError(Control.INVALID_JSON)
    header = message.get("header")
    if not isinstance(header, dict):
        raise ControlError(Control.NO_HEADER)
    if header.get("tr_id") == PINGPONG:
        stamp = header.get("datetime")
        return ClientPingPong(stamp if isinstance(stamp, str) else "")
    body = message.get("body")
    inputs = body.get("input") if isinstance(body, dict) else None
    tr_id, tr_key = NULL_TR_ID, NULL_TR_KEY
    if isinstance(inputs, dict):
        tr_id = _str_or(inputs.get("tr_id"), NULL_TR_ID)
        tr_key = _str_or(inputs.get("tr_key"), NULL_TR_KEY)

    def refuse(control: Control, text: str | None = None) -> ControlError:
        return ControlError(control, tr_id, tr_key, text)

    approval_key = header.get("approval_key")
    if not isinstance(approval_key, str) or not approval_key:
        raise refuse(Control.JSON_APPKEY)
    custtype = header.get("custtype")
    if not isinstance(custtype, str) or not custtype:
        raise refuse(Control.NO_CUSTTYPE)
    if custtype not in CUSTTYPES:
        raise refuse(Control.INVALID_CUSTTYPE)
    raw_type = header.get("tr_type")
    if raw_type not in ("1", "2"):
        raise refuse(Control.INVALID_TR_TYPE)
    if not isinstance(body, dict):
        raise refuse(Control.NO_BODY)
    if not isinstance(inputs, dict):
        raise refuse(Control.NO_INPUT)
    raw_key = inputs.get("tr_key")
    if raw_key is None or raw_key == "":
        raise refuse(Control.NO_TR_KEY)
    if (not isinstance(raw_key, str) or len(raw_key) > MAX_TR_KEY_LENGTH or not raw_key.isascii()
            or not raw_key.isprintable() or _SEPARATOR_RE.search(raw_key)):
        raise refuse(Control.JSON_INVALID_TR_KEY)
    raw_id = inputs.get("tr_id")
    spec = STREAMS.get(raw_id) if isinstance(raw_id, str) else None
    if spec is None:
        raise refuse(Control.INVALID_TR_ID)
    if spec.key_kind is KeyKind.SYMBOL and parse_symbol_key(raw_key) is None:
        raise refuse(Control.INVALID_TR_KEY)
    return Subscription(TrType(raw_type), spec.stream.value, raw_key, approval_key, custtype)


def _str_or(value: object, default: str) -> str:
    return value if isinstance(value, str) else default


def subscribe_message(approval_key: str, tr_id: str, tr_key: str, tr_type: TrType = TrType.SUBSCRIBE,
                      custtype: str = "P") -> str:
    """A client's subscribe/unsubscribe message, header keys in python-kis's order."""
    return orjson.dumps({
        "header": {"approval_key": approval_key, "custtype": custtype, "tr_type": tr_type.value,
                   "content-type": "utf-8"},
        "body": {"input": {"tr_id": tr_id, "tr_key": tr_key}},
    }).decode()


# --- server → client: control replies -------------------------------------------------------------------
def encrypt_flag(tr_id: str) -> str:
    """header.encrypt: "Y" for the notice TRs in every reply that names them, else "N".

    The official client stores this flag per tr_id from every reply, so an "N" on (say) an OPSP0002
    for H0GSCNI0 would stop it decrypting the notices that follow.
    """
    spec = STREAMS.get(tr_id)
    return "Y" if spec is not None and spec.encrypted else "N"


def control_reply(control: Control, tr_id: str = NULL_TR_ID, tr_key: str = NULL_TR_KEY, *,
                  session_key: SessionKey | None = None, text: str | None = None) -> str:
    """A control reply: `header{tr_id,tr_key,encrypt}`, `body{rt_cd,msg_cd,msg1[,output{iv,key}]}`.

    Compact JSON in KIS's key order. `output` is present only when `session_key` is given.
    """
    message = CONTROL[control]
    body: dict[str, object] = {"rt_cd": message.rt_cd, "msg_cd": message.code,
                               "msg1": message.text if text is None else text}
    if session_key is not None:
        body["output"] = session_key.output()
    return orjson.dumps({"header": {"tr_id": tr_id, "tr_key": tr_key, "encrypt": encrypt_flag(tr_id)},
                         "body": body}).decode()


_WITH_OUTPUT = frozenset({Control.SUBSCRIBED, Control.ALREADY_SUBSCRIBED})


def reply_to(request: Subscription, control: Control, session_key: SessionKey) -> str:
    """The reply about one subscription, echoing its tr_id and tr_key.

    OPSP0000 and OPSP0002 carry the session's key and iv for every TR (plain ones too, as most captures
    show): python-kis forgets its keys on reconnect and may get OPSP0002 for a notice TR (§3.5).
    """
    key = session_key if control in _WITH_OUTPUT else None
    return control_reply(control, request.tr_id, request.tr_key, session_key=key)


def invalid_approval(request: Subscription) -> str:
    """OPSP0011 for an approval key the server does not know, worded as a live reply was."""
    return control_reply(Control.INVALID_APPROVAL, request.tr_id, request.tr_key,
                         text=invalid_approval_text(request.approval_key))


def appkey_in_use() -> str:
    """OPSP8996, byte for byte the captured frame; the server drops the connection after it."""
    return control_reply(Control.APPKEY_IN_USE)


def pingpong(now: datetime) -> str:
    """The server's keep-alive: no body, the KST wall-clock time (≈58 bytes, under a PONG's 125)."""
    return orjson.dumps({"header": {"tr_id": PINGPONG, "datetime": now.astimezone(KST).strftime("%Y%m%d%H%M%S")}}
                        ).decode()


@dataclass(frozen=True, slots=True)
class ControlReply:
    """A control frame read back (the client's side)."""

    tr_id: str
    tr_key: str
    encrypt: str  # "Y"/"N"; "" on PINGPONG
    rt_cd: str = ""
    msg_cd: str = ""
    msg1: str = ""
    session_key: SessionKey | None = None
    datetime: str = ""  # PINGPONG only

    @property
    def is_pingpong(self) -> bool:
        return self.tr_id == PINGPONG


def parse_control(text: str | bytes) -> ControlReply:
    """Read a server's JSON frame; raises `FrameError` if it lacks what the official client indexes."""
    try:
        message = orjson.loads(text)
        header = message["header"]
        tr_id = header["tr_id"]
        if tr_id == PINGPONG and "body" not in message:
            return ControlReply(tr_id, "", "", datetime=header.get("datetime", ""))
        body = message["body"]
        output = body.get("output")
        key = SessionKey(output["key"], output["iv"]) if output else None
        return ControlReply(tr_id, header["tr_key"], header["encrypt"], body["rt_cd"], body["msg_cd"],
                            body["msg1"], key)
    except (orjson.JSONDecodeError, KeyError, TypeError, AttributeError, ValueError) as exc:
        raise FrameError(f"not a KIS control frame: {exc!r}") from exc


# --- data frames ----------------------------------------------------------------------------------------
class FrameError(ValueError):
    """A data or control frame that does not follow KIS's format."""


def data_frame(tr_id: str, records: Sequence[Sequence[str]], session_key: SessionKey | None = None) -> str:
    """`0|TR|nnn|…` with the records' fields joined by `^` (records too), or `1|TR|nnn|<base64>` if keyed.

    A field holding `|`, `^` or a line break is a bug of the caller (renderers clean free text).
    """
    if not 1 <= len(records) <= MAX_RECORDS_PER_FRAME:
        raise ValueError(f"a frame holds 1 to {MAX_RECORDS_PER_FRAME} records, not {len(records)}")
    text = "^".join("^".join(record) for record in records)
    # Checked on the joined text (a tenth of the cost of a search per field): one "^" between fields.
    if text.count("^") != sum(map(len, records)) - 1 or _BREAK_RE.search(text):
        bad = next(v for record in records for v in record if _SEPARATOR_RE.search(v))
        raise ValueError(f"field {bad!r} holds a frame separator")
    if session_key is None:
        return f"0|{tr_id}|{len(records):03d}|{text}"
    return f"1|{tr_id}|{len(records):03d}|{session_key.encrypt(text)}"


def is_data_frame(text: str) -> bool:
    """What every client tests: a data frame starts with 0 or 1, a control frame with `{`."""
    return text[:1] in ("0", "1")


@dataclass(frozen=True, slots=True)
class Frame:
    tr_id: str
    encrypted: bool
    records: tuple[tuple[str, ...], ...]


def parse_data_frame(text: str, session_key: SessionKey | None = None,
                     fields_per_record: int | None = None) -> Frame:
    """Split (and decrypt) a data frame into its records; the count says how to cut the fields."""
    parts = text.split("|", 3)
    if len(parts) != 4 or parts[0] not in ("0", "1"):
        raise FrameError(f"not a data frame: {text[:40]!r}")
    flag, tr_id, count_text, payload = parts
    if len(count_text) != 3 or not count_text.isdigit() or int(count_text) == 0:
        raise FrameError(f"bad record count {count_text!r}")
    count = int(count_text)
    encrypted = flag == "1"
    if encrypted:
        if session_key is None:
            raise FrameError(f"{tr_id} frame is encrypted and no key was given")
        payload = session_key.decrypt(payload)
    values = payload.split("^")
    if len(values) % count:
        raise FrameError(f"{len(values)} fields do not make {count} records")
    width = len(values) // count
    if fields_per_record is not None and width != fields_per_record:
        raise FrameError(f"{tr_id} records have {width} fields, not {fields_per_record}")
    records = tuple(tuple(values[i:i + width]) for i in range(0, len(values), width))
    return Frame(tr_id, encrypted, records)


# --- value formats --------------------------------------------------------------------------------------
_QUANTUM = [Decimal(1).scaleb(-places) for places in range(9)]


def _fixed(value: Decimal, places: int) -> str:
    """A decimal with exactly `places` digits after the point: 258.6 → "258.6000"."""
    return f"{value.quantize(_QUANTUM[places], ROUND_HALF_UP):f}"


def _implied(value: Decimal, places: int, width: int) -> str:
    """An implied-decimal integer, zero-padded: 148.01 at 4 places, width 9 → "001480100"."""
    scaled = int(value.scaleb(places).quantize(Decimal(1), ROUND_HALF_UP))
    return f"{scaled:0{width}d}"


def _from_implied(text: str, places: int) -> Decimal:
    return Decimal(int(text)).scaleb(-places)


def _text(value: str) -> str:
    """Free text (names, ids) with anything that would cut a frame replaced by a space."""
    return _SEPARATOR_RE.sub(" ", value)


# f-strings, not strftime: a third of the cost, and every record carries two dates and two times.
def _hhmmss(moment: datetime) -> str:
    return f"{moment.hour:02d}{moment.minute:02d}{moment.second:02d}"


def _ymd(day: date) -> str:
    return f"{day.year:04d}{day.month:02d}{day.day:02d}"


def _decimal(text: str, name: str) -> Decimal:
    try:
        return Decimal(text)
    except InvalidOperation:
        raise FrameError(f"{name} {text!r} is not a number") from None


def _int(text: str, name: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise FrameError(f"{name} {text!r} is not an integer") from None


# --- H0GSCNI0 / H0GSCNI9: execution notices ---------------------------------------------------------------
class NoticeKind(StrEnum):
    ACCEPTED = "accepted"  # a new order taken
    FILLED = "filled"  # a fill, partial or full
    REVISED = "revised"  # a revise order taken
    CANCELLED = "cancelled"  # a cancel order taken
    REJECTED = "rejected"  # an order, revise or cancel refused
    EXPIRED = "expired"  # an IOC/FOK remainder cancelled (ACPT_YN 3)


# kind → RCTF_CLS, CNTG_YN, ACPT_YN, RFUS_YN. An inference (WEBSOCKET.md §5.1): python-kis reads only
# ACPT_YN ("1" receipt: quantity from CNTG_QTY, nothing executed) and RFUS_YN, so a fill must carry
# ACPT_YN "2" and a non-fill "1" or "3".
_NOTICE_FLAGS: dict[NoticeKind, tuple[Correction, str, str, str]] = {
    NoticeKind.ACCEPTED: (Correction.NONE, FILL_NO, ACCEPTED, NOT_REFUSED),
    NoticeKind.FILLED: (Correction.NONE, FILL_YES, "2", NOT_REFUSED),
    NoticeKind.REVISED: (Correction.REVISE, FILL_NO, ACCEPTED, NOT_REFUSED),
    NoticeKind.CANCELLED: (Correction.CANCEL, FILL_NO, ACCEPTED, NOT_REFUSED),
    NoticeKind.REJECTED: (Correction.NONE, FILL_NO, ACCEPTED, REFUSED),
    NoticeKind.EXPIRED: (Correction.NONE, FILL_NO, IOC_CANCELLED, NOT_REFUSED),
}


_SELL_CODES = frozenset({"01", "03"})  # SELN_BYOV_CLS 매도, 전매도 (02 매수, 04 환매수)


@dataclass(frozen=True, slots=True, kw_only=True)
class ExecutionNotice:
    """One 체결통보: what happened to one order of an account, as H0GSCNI0 tells it.

    `quantity` and `price` are the order's (for a revise or cancel: the quantity and price it
    revised or cancelled); a fill adds `filled_quantity` at `fill_price`. KIS puts the order's
    figures in CNTG_QTY/CNTG_UNPR on order notices, and the fill's there (order quantity in ODER_QTY)
    on fills: the renderer does that swap. A fill notice carries no order price, so `price` is not
    sent for FILLED (and reads back as 0).
    """

    kind: NoticeKind
    hts_id: str  # CUST_ID: the subscription's tr_key
    account: str  # ACNT_NO: CANO, the 8 digits
    order_no: str  # ODER_NO, as the REST answer's ODNO gave it
    side: Side
    symbol: str
    exchange: Exchange
    quantity: int
    price: Decimal  # 0 for market-type orders
    filled_quantity: int = 0
    fill_price: Decimal = Decimal(0)
    original_no: str = ""  # OODER_NO: the order a revise/cancel acts on
    order_kind: OrderKind2 = OrderKind2.LIMIT
    correction: Correction | None = None  # RCTF_CLS; None: the kind's (a rejected cancel says CANCEL)
    time: datetime | None = None  # STCK_CNTG_HOUR, KST; None: blank (as the spec's accept example)
    branch: str = ""  # BRNC_NO
    account_name: str = ""  # ACNT_NAME
    stock_name: str = ""  # CNTG_ISNM
    split_start: str = ""  # START_TM HHMMSS (time-split orders)
    split_end: str = ""  # END_TM
    split_type: str = ""  # TM_DIV_TP


def notice_record(notice: ExecutionNotice, layout: NoticeLayout) -> list[str]:
    """The notice's fields in KIS's order, as many as `layout` has."""
    correction, fill_flag, accept_flag, refuse_flag = _NOTICE_FLAGS[notice.kind]
    if notice.correction is not None:
        correction = notice.correction
    places = NOTICE_PRICE_PLACES[EXCHANGES[notice.exchange].market]
    filled = notice.kind is NoticeKind.FILLED
    shown_qty = notice.filled_quantity if filled else notice.quantity
    shown_price = notice.fill_price if filled else notice.price
    fields = [
        _text(notice.hts_id),
        notice.account,
        notice.order_no,
        notice.original_no,
        notice.side.value,
        correction.value,
        notice.order_kind.value,
        notice.symbol,
        f"{shown_qty:0{NOTICE_QTY_WIDTH}d}",
        _implied(shown_price, places, NOTICE_PRICE_WIDTH),
        _hhmmss(notice.time.astimezone(KST)) if notice.time is not None else "",
        refuse_flag,
        fill_flag,
        accept_flag,
        notice.branch,
        f"{notice.quantity:0{NOTICE_ORDER_QTY_WIDTH}d}" if filled else "",  # "미출력" on order notices
        _text(notice.account_name),
        _text(notice.stock_name),
        NOTICE_MARKET_CODE[notice.exchange],
        CASH_LOAN_TYPE,
        "",  # DEBT_DATE: cash orders have no loan date
        notice.split_start,
        notice.split_end,
        notice.split_type,
        _implied(shown_price, places, NOTICE_PRICE12_WIDTH),
    ]
    return fields[: int(layout)]


def notice_frame(notice: ExecutionNotice, layout: NoticeLayout, env: Env, session_key: SessionKey) -> str:
    """An encrypted one-record frame on the environment's notice TR (H0GSCNI0 real, H0GSCNI9 mock)."""
    return data_frame(NOTICE_STREAM[env].value, [notice_record(notice, layout)], session_key)


def parse_notice(fields: Sequence[str], received: datetime) -> ExecutionNotice:
    """A notice record read back; `received` dates STCK_CNTG_HOUR (a KST time of day, no date)."""
    if len(fields) not in tuple(NoticeLayout):
        raise FrameError(f"a notice has 21, 24 or 25 fields, not {len(fields)}")
    correction, fill_flag, accept_flag, refuse_flag = (Correction(fields[5]), fields[12], fields[13], fields[11])
    if fill_flag == FILL_YES:
        kind = NoticeKind.FILLED
    elif refuse_flag == REFUSED:
        kind = NoticeKind.REJECTED
    elif accept_flag == IOC_CANCELLED:
        kind = NoticeKind.EXPIRED
    else:
        kind = {Correction.NONE: NoticeKind.ACCEPTED, Correction.REVISE: NoticeKind.REVISED,
                Correction.CANCEL: NoticeKind.CANCELLED}[correction]
    exchange = NOTICE_EXCHANGE.get(fields[18])
    if exchange is None:
        raise FrameError(f"unknown ODER_COND {fields[18]!r}")
    places = NOTICE_PRICE_PLACES[EXCHANGES[exchange].market]
    shown_qty = _int(fields[8], "CNTG_QTY")
    shown_price = _from_implied(fields[9], places)
    filled = kind is NoticeKind.FILLED
    moment = None
    if fields[10]:
        clock = datetime.strptime(fields[10], "%H%M%S").time()
        moment = datetime.combine(received.astimezone(KST).date(), clock, KST)
    extra = [*fields[21:24], "", "", ""][:3]  # START_TM, END_TM, TM_DIV_TP: blank before 24
    return ExecutionNotice(
        kind=kind, hts_id=fields[0], account=fields[1], order_no=fields[2], original_no=fields[3],
        side=Side.SELL if fields[4] in _SELL_CODES else Side.BUY, order_kind=OrderKind2(fields[6]),
        symbol=fields[7], exchange=exchange,
        quantity=_int(fields[15], "ODER_QTY") if filled else shown_qty,
        price=Decimal(0) if filled else shown_price,
        filled_quantity=shown_qty if filled else 0, fill_price=shown_price if filled else Decimal(0),
        correction=None if correction is _NOTICE_FLAGS[kind][0] else correction,
        time=moment, branch=fields[14], account_name=fields[16], stock_name=fields[17],
        split_start=extra[0], split_end=extra[1], split_type=extra[2],
    )


# --- HDFSCNT0: trades ------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True, kw_only=True)
class TradePrint:
    """One print on the tape with the day's running figures, as HDFSCNT0 carries it."""

    key: str  # RSYM: the subscription's tr_key, e.g. DNASAAPL
    time: datetime  # aware; sent as the exchange's local date/time and as KST
    business_date: date  # TYMD 현지영업일자
    last: Decimal
    volume: int  # EVOL: this print's size
    open: Decimal
    high: Decimal
    low: Decimal
    previous_close: Decimal  # SIGN, DIFF and RATE are measured against it
    bid: Decimal
    ask: Decimal
    bid_size: int
    ask_size: int
    total_volume: int  # TVOL
    total_amount: Decimal  # TAMT, sent as a whole number
    sell_volume: int  # BIVL: volume that hit the bid
    buy_volume: int  # ASVL: volume that lifted the ask
    session: MarketSession = MarketSession.REGULAR


def price_sign(change: Decimal) -> PriceSign:
    """SIGN: up, down or flat (localkis has no daily limits, so never 1 or 4)."""
    return PriceSign.UP if change > 0 else PriceSign.DOWN if change < 0 else PriceSign.FLAT


def change_rate(change: Decimal, previous: Decimal) -> str:
    """RATE: 2 decimals, explicitly signed when not zero ("+0.11", "-0.11", "0.00")."""
    if not previous:
        return "0.00"
    rate = (change / previous * 100).quantize(Decimal("0.01"), ROUND_HALF_UP)
    return f"+{rate:f}" if rate > 0 else f"{rate:f}" if rate < 0 else "0.00"


def strength(buy_volume: int, sell_volume: int) -> str:
    """STRN 체결강도 = ASVL / BIVL × 100 (the 2024 capture: 680 / 2222 → 30.60); "0.00" with no sells."""
    if not sell_volume:
        return "0.00"
    return f"{(Decimal(buy_volume) * 100 / sell_volume).quantize(Decimal('0.01'), ROUND_HALF_UP):f}"


def _symbol_places(key: str) -> tuple[str, Exchange, int]:
    parsed = parse_symbol_key(key)
    if parsed is None:
        raise ValueError(f"{key!r} is not a market-data tr_key")
    return parsed.symbol, parsed.exchange, QUOTE_PLACES[EXCHANGES[parsed.exchange].market]


def trade_record(p: TradePrint) -> list[str]:
    symbol, exchange, places = _symbol_places(p.key)
    local, korea = p.time.astimezone(_ZONES[exchange]), p.time.astimezone(KST)
    change = p.last - p.previous_close
    return [
        p.key, symbol, str(places), _ymd(p.business_date),
        _ymd(local), _hhmmss(local), _ymd(korea), _hhmmss(korea),
        _fixed(p.open, places), _fixed(p.high, places), _fixed(p.low, places), _fixed(p.last, places),
        price_sign(change).value,
        _fixed(change, places),  # negative on down-moves: python-kis takes LAST − DIFF as the previous close
        change_rate(change, p.previous_close),
        _fixed(p.bid, places), _fixed(p.ask, places), str(p.bid_size), str(p.ask_size),
        str(p.volume), str(p.total_volume),
        str(p.total_amount.quantize(Decimal(1), ROUND_HALF_UP)),
        str(p.sell_volume), str(p.buy_volume), strength(p.buy_volume, p.sell_volume),
        p.session.value,
    ]


def trade_frame(prints: Sequence[TradePrint]) -> str:
    """A plain HDFSCNT0 frame; one print per frame is what the official client reads whole (§4)."""
    return data_frame(Stream.TRADES.value, [trade_record(p) for p in prints])


def parse_trade(fields: Sequence[str]) -> TradePrint:
    if len(fields) != len(RECORD_FIELDS[Stream.TRADES]):
        raise FrameError(f"a trade has 26 fields, not {len(fields)}")
    _, exchange, _ = _symbol_places(fields[0])
    moment = datetime.strptime(fields[4] + fields[5], "%Y%m%d%H%M%S").replace(tzinfo=_ZONES[exchange])
    last, change = _decimal(fields[11], "LAST"), _decimal(fields[13], "DIFF")
    return TradePrint(
        key=fields[0], time=moment, business_date=datetime.strptime(fields[3], "%Y%m%d").date(),
        open=_decimal(fields[8], "OPEN"), high=_decimal(fields[9], "HIGH"), low=_decimal(fields[10], "LOW"),
        last=last, previous_close=last - change,
        bid=_decimal(fields[15], "PBID"), ask=_decimal(fields[16], "PASK"),
        bid_size=_int(fields[17], "VBID"), ask_size=_int(fields[18], "VASK"),
        volume=_int(fields[19], "EVOL"), total_volume=_int(fields[20], "TVOL"),
        total_amount=Decimal(_int(fields[21], "TAMT")),
        sell_volume=_int(fields[22], "BIVL"), buy_volume=_int(fields[23], "ASVL"),
        session=MarketSession(fields[25]),
    )


# --- HDFSASP0 / HDFSASP1: books ----------------------------------------------------------------------------
@dataclass(frozen=True, slots=True, kw_only=True)
class BookLevel:
    bid: Decimal
    ask: Decimal
    bid_size: int
    ask_size: int
    bid_size_change: int = 0  # DBIDn 매수잔량대비: against the previous snapshot
    ask_size_change: int = 0  # DASKn


@dataclass(frozen=True, slots=True, kw_only=True)
class BookSnapshot:
    """The book of one symbol, best level first; levels it lacks are sent as `0`, never blank."""

    key: str  # RSYM
    time: datetime
    levels: tuple[BookLevel, ...]
    bid_total: int | None = None  # BVOL; None: the sum of the levels' bid sizes
    ask_total: int | None = None  # AVOL
    bid_total_change: int = 0  # BDVL
    ask_total_change: int = 0  # ADVL


def book_record(book: BookSnapshot, stream: Stream = Stream.BOOK) -> list[str]:
    """HDFSASP0 (10 levels, 71 fields) or HDFSASP1 (1 level, 17 fields)."""
    symbol, exchange, places = _symbol_places(book.key)
    local, korea = book.time.astimezone(_ZONES[exchange]), book.time.astimezone(KST)
    bid_total = sum(level.bid_size for level in book.levels) if book.bid_total is None else book.bid_total
    ask_total = sum(level.ask_size for level in book.levels) if book.ask_total is None else book.ask_total
    fields = [
        book.key, symbol, str(places), _ymd(local), _hhmmss(local), _ymd(korea), _hhmmss(korea),
        str(bid_total), str(ask_total), str(book.bid_total_change), str(book.ask_total_change),
    ]
    depth = BOOK_LEVELS[stream]
    for level in book.levels[:depth]:
        fields += [_level_price(level.bid, places), _level_price(level.ask, places), str(level.bid_size),
                   str(level.ask_size), str(level.bid_size_change), str(level.ask_size_change)]
    fields += [EMPTY_LEVEL_VALUE] * (len(RECORD_FIELDS[stream]) - len(fields))
    return fields


def _level_price(price: Decimal, places: int) -> str:
    return _fixed(price, places) if price else EMPTY_LEVEL_VALUE  # a side the level lacks


def book_frame(book: BookSnapshot, stream: Stream = Stream.BOOK) -> str:
    return data_frame(stream.value, [book_record(book, stream)])


def parse_book(fields: Sequence[str]) -> BookSnapshot:
    """A book record of either layout; trailing empty levels are dropped."""
    if len(fields) not in (len(RECORD_FIELDS[Stream.BOOK]), len(RECORD_FIELDS[Stream.BOOK_ASIA])):
        raise FrameError(f"a book has 71 or 17 fields, not {len(fields)}")
    _, exchange, _ = _symbol_places(fields[0])
    moment = datetime.strptime(fields[3] + fields[4], "%Y%m%d%H%M%S").replace(tzinfo=_ZONES[exchange])
    levels: list[BookLevel] = []
    width = len(BOOK_LEVEL_FIELDS)
    for start in range(11, len(fields), width):
        bid, ask, bid_size, ask_size, bid_change, ask_change = fields[start:start + width]
        levels.append(BookLevel(bid=_decimal(bid, "PBID"), ask=_decimal(ask, "PASK"),
                                bid_size=_int(bid_size, "VBID"), ask_size=_int(ask_size, "VASK"),
                                bid_size_change=_int(bid_change, "DBID"),
                                ask_size_change=_int(ask_change, "DASK")))
    while levels and levels[-1] == _EMPTY_LEVEL:
        levels.pop()
    return BookSnapshot(key=fields[0], time=moment, levels=tuple(levels),
                        bid_total=_int(fields[7], "BVOL"), ask_total=_int(fields[8], "AVOL"),
                        bid_total_change=_int(fields[9], "BDVL"), ask_total_change=_int(fields[10], "ADVL"))


_EMPTY_LEVEL = BookLevel(bid=Decimal(0), ask=Decimal(0), bid_size=0, ask_size=0)
