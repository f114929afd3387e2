"""Header vocabulary: the names shop exports give dates, targets, ids and drivers.

Column names are compared after :func:`norm_name` (lower case, no spaces, underscores
or punctuation). The functions here classify one header at a time; which column
finally plays which role is decided from the data by :mod:`forecasting.data.mapping`.
"""

from __future__ import annotations

import re
from typing import Any

TOTAL = "total"
WIDE_ID = "series"  # id column of a wide file once melted (one series per source column)
LABEL_SEP = " / "  # joins hierarchy values when a level is not nested in the coarser one
MISSING_ID = "(missing)"
DRIVER_ORDER = ("price", "discount", "promo", "holiday", "school_holiday", "open")

# Names are compared after norm_name(): lower case, no spaces/underscores/punctuation.
_DATE_EXACT = {
    "date",
    "ds",
    "day",
    "time",
    "datetime",
    "dt",
    "timestamp",
    "week",
    "month",
    "period",
    "日期",
    "时间",
    "日",
    "周",
    "月",
    "月份",
    "年月",
    "统计日期",
    "下单日期",
}
_DATE_SUB = ("date", "time", "日期", "时间", "day", "月份")
_UNIT_EXACT = {
    "y",
    "销量",
    "数量",
    "件数",
    "销售量",
    "销售数量",
    "sales",
    "sale",
    "units",
    "unit",
    "qty",
    "quantity",
    "volume",
    "demand",
    "sold",
    "成交件数",
    "单量",
    "订单量",
}
_UNIT_SUB = ("销量", "数量", "件数", "sales", "sale", "units", "qty", "quantity", "sold")
_MONEY_EXACT = {
    "销售额",
    "gmv",
    "成交金额",
    "金额",
    "revenue",
    "amount",
    "营业额",
    "成交额",
    "支付金额",
    "turnover",
}
_MONEY_SUB = ("销售额", "gmv", "金额", "revenue", "amount", "营业额", "成交额", "turnover")
# Columns that are never a target, id or driver unless the user says so. Customers and
# visitors are *outcomes* measured on the day, not known in advance, so they cannot drive
# a forecast; day-of-week is derived from the date by the feature builder.
_EXCLUDE_SUB = {
    "not_known_in_advance": (
        "customer",
        "客流",
        "访客",
        "visitor",
        "traffic",
        "浏览",
        "uv",
        "pv",
        "comment",
        "评论",
        "评价",
        "收藏",
        "加购",
        "转化",
        "conversion",
        "库存",
        "stock",
        "inventory",
    ),
    "calendar": ("dayofweek", "weekday", "星期", "周几", "weekofyear"),
    "row_id": ("订单号", "订单编号", "orderid", "orderno", "备注", "remark", "note"),
}
# Driver names, checked in this order (a "促销价" is a price, not a promo flag).
_DRIVER_WORDS = (
    ("price", ("price", "价")),  # 价格, 单价, 售价, 折后价, 促销价... (but not 评价, see below)
    ("discount", ("discount", "折扣", "折")),
    ("school_holiday", ("schoolholiday", "学校假期")),
    ("holiday", ("holiday", "节假日", "假日", "节日", "假期")),
    ("promo", ("promo", "promotion", "促销", "活动", "campaign")),
    ("open", ("open", "isopen", "营业", "是否营业")),
)
_ID_ROLES = (  # role, name fragments; coarse-to-fine order is decided from the data
    (
        "store",
        (
            "store",
            "shop",
            "店铺",
            "店名",
            "门店",
            "商家",
            "seller",
            "渠道",
            "channel",
            "平台",
            "platform",
            "region",
            "地区",
            "城市",
            "city",
            "warehouse",
            "仓",
        ),
    ),
    ("category", ("category", "dept", "department", "品类", "类目", "类别", "分类", "family")),
    ("brand", ("brand", "品牌")),
    (
        "product",
        (
            "sku",
            "spu",
            "商品",
            "宝贝",
            "item",
            "product",
            "货号",
            "款号",
            "款式",
            "asin",
            "article",
            "条码",
            "barcode",
        ),
    ),
)
_CODE_LIKE = ("id", "sku", "编码", "编号", "货号", "code", "条码", "款号")
_GENERIC_ID = re.compile(r"(^|[^a-z])id$")
_CAMEL_ID = re.compile(r"[a-z](ID|Id)$")


def norm_name(name: Any) -> str:
    """Header name as compared: lower case, without spaces, underscores or punctuation."""
    return re.sub(r"[\s_\-./()（）:：\[\]【】]+", "", str(name)).lower()


def _has(n: str, words: tuple[str, ...] | set[str]) -> bool:
    return any(w in n for w in words)


def excluded_reason(col: str) -> str | None:
    """Why a column is never a target, id or driver by default (``None``: it may be)."""
    n = norm_name(col)
    for reason, words in _EXCLUDE_SUB.items():
        if _has(n, words):
            return reason
    return None


def target_rank(col: str) -> int | None:
    """0 unit exact, 1 unit partial, 2 money exact, 3 money partial, None = not a target name."""
    n = norm_name(col)
    if _has(n, _MONEY_SUB) or n in _MONEY_EXACT:
        return 2 if n in _MONEY_EXACT else 3
    if n in _UNIT_EXACT:
        return 0
    if _has(n, _UNIT_SUB):
        return 1
    return None


def id_role(col: str) -> str | None:
    """Hierarchy role (store, category, brand, product) a header suggests, or ``None``."""
    n = norm_name(col)
    for role, words in _ID_ROLES:
        if _has(n, words):
            return role
    raw = str(col).strip()
    if (
        n == "id"
        or _GENERIC_ID.search(raw.lower())
        or _CAMEL_ID.search(raw)
        or _has(n, ("编码", "编号"))
    ):
        return "product"
    return None


def driver_name(col: str) -> str | None:
    """Canonical driver name (price, discount, promo...) a header suggests, or ``None``."""
    n = norm_name(col)
    for canon, words in _DRIVER_WORDS:
        if canon == "price" and ("评价" in n or "价值" in n):
            continue
        if canon == "open" and n not in words:  # "open" inside other words is not a flag
            continue
        if _has(n, words):
            return canon
    return None


def date_named(col: str) -> bool:
    """True when the header reads like a date (日期, 时间, date, update_time...)."""
    n = norm_name(col)
    return n in _DATE_EXACT or _has(n, _DATE_SUB)


def code_like(col: str) -> bool:
    """True when the header reads like a code (id, SKU, 编码...) rather than a title."""
    return _has(norm_name(col), _CODE_LIKE)


def plain_target_name(col: str) -> bool:
    """True when the header is exactly a target name (销量, sales, GMV...)."""
    return norm_name(col) in _UNIT_EXACT | _MONEY_EXACT
