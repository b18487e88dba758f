"""The asking price: amount and currency in fiat or crypto ("$500", "500$", "US$ 5.000", "5k USD",
"0,15 bitcoin", "45 XMR", "Rp 150 juta", "150 000 руб", "₹30 lakh", "20万美元", "€835"), whether
it is negotiable, and for auctions the start price (the amount), the step and the buy-now price.
`price.usd` comes from an offline rate table (USD per unit), never from the network."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import NamedTuple

from monitor.models import Price
from monitor.normalize.fold import fold, text_pattern, trie_alternation, words_pattern
from monitor.normalize.numbers import Number
from monitor.normalize.scan import Scanned, scan

# Folded currency spellings, longest first when compiled. Prefix ones stand before the amount.
_PREFIX: dict[str, str] = {
    "us$": "USD", "usd": "USD", "$": "USD", "€": "EUR", "eur": "EUR", "£": "GBP", "gbp": "GBP",
    "₹": "INR", "rs.": "INR", "rs": "INR", "inr": "INR", "rp.": "IDR", "rp": "IDR", "idr": "IDR",
    "r$": "BRL", "brl": "BRL", "¥": "CNY", "cny": "CNY", "rmb": "CNY", "₽": "RUB", "rub": "RUB",
    "₿": "BTC", "btc": "BTC", "xmr": "XMR", "eth": "ETH", "usdt": "USDT", "ltc": "LTC",
    "a$": "AUD", "au$": "AUD", "c$": "CAD", "ca$": "CAD", "mx$": "MXN", "₺": "TRY", "₩": "KRW",
    "₱": "PHP", "rm": "MYR", "₫": "VND", "₴": "UAH", "zł": "PLN", "chf": "CHF", "aed": "AED",
    "sar": "SAR", "egp": "EGP", "mxn": "MXN", "ars": "ARS", "cop": "COP",
}
_SUFFIX: dict[str, str] = {
    "$": "USD", "usd": "USD", "us$": "USD", "dollar": "USD", "dollars": "USD", "dolar": "USD",
    "dolares": "USD", "dólares": "USD", "долларов": "USD", "доллара": "USD", "доллар": "USD",
    "баксов": "USD", "бакс": "USD", "бакса": "USD", "€": "EUR", "eur": "EUR", "euro": "EUR",
    "euros": "EUR", "евро": "EUR", "£": "GBP", "gbp": "GBP", "pounds": "GBP", "₹": "INR",
    "inr": "INR", "rupees": "INR", "rupee": "INR", "rs": "INR", "rs.": "INR", "रुपये": "INR",
    "रुपए": "INR", "rp": "IDR", "rupiah": "IDR", "idr": "IDR", "руб": "RUB", "руб.": "RUB",
    "рублей": "RUB", "рубля": "RUB", "рубль": "RUB", "р": "RUB", "р.": "RUB", "₽": "RUB",
    "rub": "RUB", "btc": "BTC", "bitcoin": "BTC", "bitcoins": "BTC", "биткоин": "BTC",
    "биткоина": "BTC", "биткоинов": "BTC", "битка": "BTC", "бтс": "BTC", "₿": "BTC",
    "xmr": "XMR", "monero": "XMR", "монеро": "XMR", "eth": "ETH", "ether": "ETH",
    "ethereum": "ETH", "usdt": "USDT", "tether": "USDT", "usdt trc20": "USDT", "ltc": "LTC",
    "litecoin": "LTC", "美元": "USD", "美金": "USD", "刀": "USD", "元": "CNY", "人民币": "CNY",
    "块": "CNY", "rmb": "CNY", "cny": "CNY", "比特币": "BTC", "reais": "BRL", "real": "BRL",
    "brl": "BRL", "r$": "BRL", "pesos": "MXN", "mxn": "MXN", "ars": "ARS", "دولار": "USD",
    "دولارات": "USD", "ريال": "SAR", "درهم": "AED", "جنيه": "EGP", "دينار": "KWD",
    "بيتكوين": "BTC", "डॉलर": "USD", "aed": "AED", "sar": "SAR", "egp": "EGP", "chf": "CHF",
    "aud": "AUD", "cad": "CAD", "try": "TRY", "uah": "UAH", "грн": "UAH", "kzt": "KZT",
    "тенге": "KZT", "ngn": "NGN", "zar": "ZAR", "pkr": "PKR", "bdt": "BDT", "jpy": "JPY",
    "円": "JPY", "krw": "KRW", "php": "PHP", "myr": "MYR", "sgd": "SGD", "thb": "THB",
    "vnd": "VND", "euro's": "EUR", "k$": "USD", "pln": "PLN", "zł": "PLN", "zl": "PLN",
    "czk": "CZK", "huf": "HUF", "sek": "SEK", "nok": "NOK", "dkk": "DKK", "ron": "RON",
    "nzd": "NZD", "hkd": "HKD", "twd": "TWD", "clp": "CLP", "cop": "COP", "pen": "PEN",
    "kwd": "KWD", "qar": "QAR", "omr": "OMR", "bhd": "BHD", "jod": "JOD", "mad": "MAD",
    "dzd": "DZD", "tnd": "TND", "ils": "ILS", "irr": "IRR", "lkr": "LKR", "npr": "NPR",
    "kes": "KES", "ghs": "GHS", "byn": "BYN", "uzs": "UZS", "azn": "AZN", "gel": "GEL",
    "amd": "AMD", "mnt": "MNT", "xof": "XOF",
}
_CRYPTO_WORDS: dict[str, str] = {
    "btc": "BTC", "bitcoin": "BTC", "bitcoins": "BTC", "биткоин": "BTC", "биткоинах": "BTC",
    "xmr": "XMR", "monero": "XMR", "монеро": "XMR", "eth": "ETH", "ethereum": "ETH",
    "usdt": "USDT", "tether": "USDT", "ltc": "LTC", "litecoin": "LTC", "比特币": "BTC",
    "门罗币": "XMR", "泰达币": "USDT", "بيتكوين": "BTC", "البيتكوين": "BTC", "بالبيتكوين": "BTC",
    "مونيرو": "XMR", "تيثر": "USDT", "बिटकॉइन": "BTC",
}
_ANY_CRYPTO = re.compile(r"(?<![a-z])(?:" + "|".join(
    re.escape(w) for w in sorted(_CRYPTO_WORDS, key=len, reverse=True)) + r")(?![a-z])")
# A code written after a "$" says which dollar: "3 500 $ CAD".
_DOLLAR_CODE = re.compile(r"\s*(cad|aud|nzd|sgd|hkd|mxn|ars|cop|clp|usd|twd)(?![a-z])")
_YEN_JP = re.compile(r"japan|japanese|\.jp\b|日本|円")
# Without a currency, an amount is in the money of the post's language ("Harga 20 juta").
_LANG_MONEY = {"id": "IDR", "hi": "INR", "pt": "BRL", "zh": "CNY"}
_MULT_MONEY = {1e5: "INR", 1e7: "INR"}


def _alternation(words: Iterable[str]) -> str:
    """The folded `words` as one alternation, longest first (as a trie: `trie_alternation`)."""
    return trie_alternation({fold(w) for w in words}, blank=re.escape(" "))


_PREFIX_FOLDED = {fold(k): v for k, v in _PREFIX.items()}
_SUFFIX_FOLDED = {fold(k): v for k, v in _SUFFIX.items()}
_PREFIX_RE = re.compile(r"(?<![a-z])(?P<cur>" + _alternation(_PREFIX) + r")\s?[:=]?\s?$")
_SUFFIX_RE = re.compile(r"\s?(?P<cur>" + _alternation(_SUFFIX) + r")(?![a-z\u0400-\u04ff])")
# "only" in each language too: "payment only USDT", "pago solo en USDT", "भुगतान केवल USDT";
# "بعملة": in the currency ("الدفع بعملة مونيرو").
_PAYMENT = re.compile(
    r"(?:pay\w*|paid|pago|pagamento|pagar|paiement|оплат\w*|bayar|pembayaran|accept\w*|aceito|"
    r"acepto|only|solo|somente|apenas|hanya|uniquement|seulement|in|via|em|en|через|в|dalam|par|"
    r"за|только|pakai|用|付|支付|بال|بـ|بعملة|عملة|فقط|केवल|भुगतान)\s*"
    r"(?P<cur>" + _alternation(_CRYPTO_WORDS) + r")(?![a-z])")
_PAYMENT_AFTER = re.compile(
    r"(?P<cur>" + _alternation(_CRYPTO_WORDS) + r")\s*(?:结算|支付|付款|only|payment|оплата|"
    r"uniquement|seulement|فقط|में)")
_PRICE_WORD = re.compile(words_pattern((
    "price", "prices", "pricing", "price tag", "asking", "asking price", "cost", "costs",
    "selling for", "for only", "only", "цена", "ценник", "стоимость", "прайс", "отдам за", "за",
    "harga", "hrg", "dijual", "mahar", "precio", "preco", "preço", "valor", "por", "prix",
    "tarif", "pour", "السعر", "سعر", "بسعر", "कीमत", "दाम", "rate", "for", "@",
)) + r"|价格|售价|价钱|报价|价|售")
_START = re.compile(words_pattern((
    "start", "starting", "starting price", "start price", "starting bid", "start bid",
    "opening bid",
    "min bid", "старт", "стартовая", "начальная", "начало", "mulai", "harga awal", "inicio",
    "início", "lance inicial", "precio inicial", "depart", "départ", "mise de depart",
    "mise de départ", "البداية", "सुरुआत",
)) + r"|起拍|起价")
_STEP = re.compile(words_pattern((
    "step", "bid step", "increment", "min step", "шаг", "kelipatan", "incremento", "paso", "pas",
    "الزيادة", "incr",
)) + r"|加价|加幅")
_BUY_NOW = re.compile(words_pattern((
    "blitz", "блиц", "buy now", "buy-now", "bin", "autobuy", "auto buy", "автовыкуп", "выкуп",
    "instant buy", "instant", "beli langsung", "compra inmediata", "compra imediata",
    "achat immediat", "achat immédiat", "buyout", "ab",
)) + r"|一口价|秒杀")
_NEGOTIABLE_WORDS = (
    "negotiable", "nego", "negotiate", "negotiation", "obo", "or best offer", "best offer",
    "make an offer", "make offer", "make me an offer", "open to offers", "offers", "торг",
    "торг уместен", "договорная", "договоримся", "bisa nego", "negociable", "negociavel",
    "negociável", "a negociar", "negociar", "a combinar", "à negocier", "a negocier",
    "à débattre", "a debattre", "negociable", "قابل للتفاوض", "للتفاوض", "मोलभाव",
)
_NEGOTIABLE_CJK = ("可谈", "可议", "可商量", "面议", "议价", "好说")
_NEGOTIABLE = re.compile(text_pattern(_NEGOTIABLE_WORDS, _NEGOTIABLE_CJK))  # whole texts only
# Every negotiable word holds one of these (a test checks it): a text without any of them is
# passed over with `str` searches in C, a tenth of what the pattern costs over a 2 KB post.
NEGOTIABLE_CORES = ("nego", "obo", "offer", "торг", "договор", "combinar", "debattre", "تفاوض",
                    "मोलभाव", *_NEGOTIABLE_CJK)
_NOT_PRICE = re.compile(words_pattern((
    "revenue", "revenues", "turnover", "omzet", "выручка", "оборот", "balance", "balances",
    "баланс", "остаток", "saldo", "income", "receita", "ingresos", "chiffre d'affaires",
    "выручкой", "выручки", "выручку", "оборотом", "оборота", "доходом", "wanted", "asked",
    "asking for", "paid", "bought", "sold", "was sold", "купил", "продавал", "previously",
    "worth", "loss", "losses", "damages", "fine", "valuation", "capitalization", "deposit",
    "deposits", "transactions", "spent", "limit", "ransom",
)) + r"|营收|收入|余额")
# ...and what an amount is when the word follows it: "50 million $ revenue", "$2M in sales".
_NOT_PRICE_AFTER = re.compile(
    r"\s*(?:(?:in|of|per|a|an|annual|yearly|monthly|total|de|em|en|d'|годовой|годовая)\s*){0,2}"
    r"(?:revenue|revenues|turnover|income|sales|profit|omzet|pendapatan|выручк\w*|оборот\w*|"
    r"доход\w*|прибыл\w*|receita|faturamento|ingresos|facturacion|facturación|ventas|"
    r"chiffre d'affaires|balance|balances|баланс\w*|saldo|valuation|market cap|capitalization|"
    r"in damages|ransom|arr|mrr|gmv)(?![^\W\d_])")
_BARE_PRICE = re.compile(
    r"(?:price|цена|harga|precio|preco|preço|prix|السعر|价格|售价)\s*[:=：-]?\s*")
# one literal an alternative, so the engine skips to them in C (a class among them would stop it)
_CLAUSE_END = re.compile(r"\n|;|\||•|。|！|？|!|\?|，|、|،|؛|\.\s|,\s(?!\d)")


class PriceMention(NamedTuple):  # a tuple: made by the thousand per post, and cheaply
    number: Number
    currency: str | None
    start: int
    end: int


def mentions(text: str | Scanned, lang: str | None) -> list[PriceMention]:
    """Amounts with a currency written by them, in folded `text` (or its scan), in order."""
    scanned = text if isinstance(text, Scanned) else scan(text, lang)
    masked = scanned.masked
    out: list[PriceMention] = []
    for n in scanned.numbers:
        before = masked[max(0, n.start - 8):n.start]
        pm = _PREFIX_RE.search(before)
        sm = _SUFFIX_RE.match(masked, n.end)
        # short words that are currencies only right after a number, or after a price word
        # ("5 php scripts" is no price, "Price: 25k PHP or $450" is)
        if (sm and sm.group("cur") in ("р", "р.", "rs", "real", "try", "php") and not pm
                and sm.start("cur") != n.end and sm.group("cur") not in ("rs", "р.")
                and not _PRICE_WORD.search(_clause_before(masked, n.start))):
            sm = None
        if pm:
            symbol = pm.group("cur")
            currency, end = _PREFIX_FOLDED[symbol], n.end
        elif sm:
            symbol = sm.group("cur")
            currency, end = _SUFFIX_FOLDED[symbol], sm.end()
        else:
            continue
        if currency == "USD":
            code = _DOLLAR_CODE.match(masked, end)
            if code:
                currency, end = code.group(1).upper(), code.end()
        elif currency == "CNY" and symbol == "¥" and _YEN_JP.search(masked):
            currency = "JPY"
        out.append(PriceMention(n, currency, n.start - len(before) + pm.start() if pm
                                else n.start, end))
    return out


def _clause_before(text: str, pos: int, width: int = 40) -> str:
    lo = max(0, pos - width)
    cut = lo
    for m in _CLAUSE_END.finditer(text, lo, pos):
        cut = m.end()
    return text[cut:pos]


def _bare_after_keyword(scanned: Scanned) -> PriceMention | None:
    """"Price: 500" with the currency only named as the means of payment, or not at all."""
    starts = {n.start: n for n in scanned.numbers}
    for m in _BARE_PRICE.finditer(scanned.masked):
        n = starts.get(m.end())
        if n is not None:
            return PriceMention(n, None, n.start, n.end)
    return None


def price(title: str | Scanned, body: str | Scanned, lang: str | None, *,
          rates: Mapping[str, float] | None = None) -> Price:
    """The listing's price from folded title and body (or their scans)."""
    title = title if isinstance(title, Scanned) else scan(title, lang)
    body = body if isinstance(body, Scanned) else scan(body, lang)
    chosen: PriceMention | None = None
    body_found: list[PriceMention] = []
    step = buy_now = None
    negotiable = _negotiable(body.masked) or _negotiable(title.masked)
    for text in (body, title):
        masked = text.masked
        # each mention's clause is cut once (40 characters back); the narrower looks below
        # take its end
        listed = mentions(text, lang)
        clause = {m.start: _clause_before(masked, m.start) for m in listed}
        found = [m for m in listed
                 if not _NOT_PRICE.search(clause[m.start][-30:])
                 and not _NOT_PRICE_AFTER.match(masked, m.end)]
        if text is body:
            body_found = found
        if not found:
            continue
        starts = [m for m in found if _START.search(clause[m.start][-25:])]
        if starts:
            chosen = starts[0]
            step = next((m.number.value for m in found
                         if _STEP.search(clause[m.start][-20:])), None)
            buy_now = next((m.number.value for m in found
                            if _BUY_NOW.search(clause[m.start][-20:])), None)
            break
        keyed = [m for m in found if _PRICE_WORD.search(clause[m.start])]
        chosen = (keyed or found)[0]
        if keyed or text is title:
            break
        bare = _bare_after_keyword(text)
        if bare is not None:
            chosen = PriceMention(bare.number, _payment(body.masked + "\n" + title.masked),
                                  bare.start, bare.end)
        break
    if chosen is None:
        bare = _bare_after_keyword(body) or _bare_after_keyword(title)
        payment = _payment(body.masked + "\n" + title.masked)
        if bare is None:
            return Price(currency=payment, negotiable=negotiable)
        money = _MULT_MONEY.get(bare.number.multiplier) or _LANG_MONEY.get(lang or "", "USD")
        chosen = PriceMention(bare.number, payment or money, bare.start, bare.end)
    amount = chosen.number.value
    currency = chosen.currency
    usd = None
    if rates is not None and currency is not None:
        rate = 1.0 if currency == "USD" else rates.get(currency)
        usd = round(amount * rate, 2) if rate is not None else None
    text_span = (body if chosen in body_found else title).masked[chosen.start:chosen.end]
    return Price(amount=amount, currency=currency, usd=usd, text=text_span.strip() or None,
                 negotiable=negotiable, auction_step=step, buy_now=buy_now)


def _negotiable(text: str) -> bool:
    return any(core in text for core in NEGOTIABLE_CORES) and bool(_NEGOTIABLE.search(text))


def _payment(text: str) -> str | None:
    m = _PAYMENT.search(text) or _PAYMENT_AFTER.search(text)
    return _CRYPTO_WORDS.get(m.group("cur")) if m else None


def crypto_named(text: str) -> str | None:
    """The first cryptocurrency named anywhere in folded `text` (a buyer's means of payment)."""
    m = _ANY_CRYPTO.search(text)
    return _CRYPTO_WORDS.get(m.group()) if m else None
