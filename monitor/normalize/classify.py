"""Post type: sell, leak (a free share), buy, request or other, from the title's tag or first words
and the wording of title and body in each language ("[SELLING]", "WTS", "Продам", "Dijual",
"Vendo", "出售"; "[FREE]", "слив", "gratis", "fuite", "免费"; "WTB", "Куплю", "Dicari", "Compro",
"收"; "[REQ]", "anyone have", "у кого есть", "ada yang punya", "求")."""

from __future__ import annotations

import re

from monitor.models import PostType
from monitor.normalize.fold import words_pattern

_SELL = words_pattern((
    "selling", "sell", "sells", "wts", "for sale", "on sale", "sale", "продам", "продаю",
    "продажа", "продается", "продаётся", "продаем", "продаём", "продам базу", "dijual", "jual",
    "menjual", "djual", "vendo", "venda", "vende", "vendemos", "vendendo", "a venda", "à venda",
    "en venta", "se vende", "vendiendo", "venta", "a vendre", "à vendre", "vends", "vente",
    "je vends", "للبيع", "بيع", "أبيع", "ابيع", "بيع قاعدة", "बेच", "बेचना", "बिक्री", "बेच रहा",
    "sale!", "selling db", "selling data", "private sale", "exclusive sale", "auction", "аукцион",
    "lelang", "subasta", "leilao", "leilão", "enchere", "enchère", "مزاد",
))
_SELL_ZH = re.compile(r"出售|转让|卖|^出\s?|拍卖|售卖|代售")
_LEAK = words_pattern((
    "free", "freebie", "leak", "leaked", "leaks", "download", "dump", "dumped", "giveaway",
    "sharing", "share", "слив", "сливаю", "слито", "слитая", "бесплатно", "раздача", "раздаю",
    "халява", "gratis", "bocor", "bocoran", "grátis", "gratis", "vazou", "vazamento", "vazado",
    "vazados", "filtrado", "filtrada", "filtracion", "filtración", "filtrados", "fuite",
    "gratuit", "gratuite", "fuites", "telechargement", "téléchargement", "مجاني", "مجانا",
    "تسريب", "مسرب", "مسربة", "لیک", "लीक", "मुफ्त", "मुफ़्त", "फ्री", "शेयर", "compartilhando",
    "compartiendo",
    "descarga", "partage", "bagi", "berbagi", "share gratis",
))
_LEAK_ZH = re.compile(r"免费|分享|泄露|白嫖|福利|公开")
_BUY = words_pattern((
    "wtb", "buying", "buy", "to buy", "want to buy", "will buy", "purchase", "purchasing",
    "looking to buy", "куплю", "покупаю", "купим", "скупаю", "покупка", "dicari", "beli",
    "membeli", "ищу", "нужна", "нужен", "нужны", "compro", "compra", "comprando", "compramos",
    "achete", "achète", "j'achete",
    "j'achète", "achat", "أشتري", "اشتري", "شراء", "خرید", "खरीद", "खरीदना", "खरीदूंगा", "wtb:",
))
_BUY_ZH = re.compile(r"收购|求购|^收\s?|高价收|长期收|^求\s?")
_REQUEST = words_pattern((
    "request", "requests", "requesting", "req", "anyone have", "anyone has", "does anyone have",
    "busco", "buscando", "cherche", "recherche", "je cherche", "cari", "mencari", "butuh",
    "procuro", "preciso", "necesito",
    "does anybody have", "anybody have", "need", "looking for", "help me find",
    "у кого есть", "есть у кого", "подскажите", "ada yang punya",
    "ada yg punya", "minta", "request data", "pedido", "alguien tiene", "alguem tem",
    "alguém tem", "quelqu'un a", "quelqu'un aurait", "هل لدى أحد", "هل يملك أحد", "هل عند أحد",
    "من لديه", "هل لدى احد", "هل يملك احد",
    "مطلوب", "أبحث عن",
    "ابحث عن", "चाहिए", "किसी के पास", "koi hai", "kisi ke paas",
))
_REQUEST_ZH = re.compile(r"跪求|有没有|谁有|求分享")
_OTHER = re.compile(words_pattern((
    "discussion", "discuss", "debate", "debat", "débat", "opinion", "opinión", "diskusi",
    "discussao", "discussão", "discusion", "discusión", "обсуждение", "обзор", "вопрос",
    "нарушение", "نقاش", "مناقشة", "चर्चा", "scam report", "scammer", "ripper", "warning",
    "how to", "how do", "tutorial", "guide", "rules", "rule update", "announcement", "news",
    "question", "who is", "review", "help", "escrow service", "kidala", "кидала", "скам",
    "tips", "faq", "vouch", "vouches", "vouch thread", "vouching", "vouched", "vouch for",
    "vouch copy", "feedback", "отзыв", "отзывы", "pertanyaan",
    "berita", "pergunta", "pregunta", "noticias", "actualite",
    "actualité", "sondage", "poll", "recruiting", "hiring", "team members", "looking for team",
)) + r"|讨论|闲聊|求助|教程|公告|新闻")
_NOT_DATA_SALE = re.compile(words_pattern((
    "youtube channel", "telegram channel", "tg channel", "my channel", "youtube", "instagram page",
    "tiktok account", "forum account", "my account",
    "reputation", "vouches", "domain name",
)))
_DATA = re.compile(words_pattern((
    "data", "database", "databases", "db", "dbs", "dump", "dumps", "leak", "leaks", "base",
    "bases", "logs", "log", "combolist", "combolists", "combo", "fullz", "access", "accesses",
    "records", "lines", "rows", "leads", "accounts", "emails", "info", "docs", "documents",
    "база", "базу", "базы", "баз", "данные", "данных", "доступ", "доступы", "логи", "слив",
    "dados", "datos", "donnees", "données", "fuite", "acces", "accès", "accesos", "acessos",
    "bases de datos", "banco de dados", "nasabah", "akses", "panel", "بيانات", "قاعدة", "قواعد",
    "تسريب", "डेटा", "डाटा", "लीक", "nid", "ssn", "cpf", "nik", "ktp", "aadhaar", "kyc",
    "filtracion", "filtración", "vazamento", "tokopedia", "bpjs", "files", "file", "sample",
    "samples", "links", "link", "reupload", "mirror", "share", "файлы", "ссылки", "ссылку",
)) + r"|数据|资料|库|信息|四要素|泄露")
_TAG = re.compile(r"^\s*[\[\(【{<]\s*([^\]\)】}>]{1,24})\s*[\]\)】}>]")
_FIRST_WORDS = re.compile(r"^\s*([^\s:|\-–—!]+(?:\s+[^\s:|\-–—!]+)?)")
_PAY = words_pattern((
    "pay", "paying", "will pay", "budget", "оплата", "оплачу", "бюджет", "плачу", "заплачу",
    "bayar", "budget", "pago", "pagamos", "pagar", "pagaré", "pagare", "paye", "je paie", "payé",
    "أدفع", "ميزانية", "usdt", "btc", "xmr", "$", "escrow", "гарант", "भुगतान", "दूंगा",
)) + r"|高价|价格好说|付款|报酬"

_FREE_RE = re.compile(words_pattern((
    "free", "gratis", "grátis", "gratuit", "gratuite", "бесплатно", "free share", "مجاني",
    "مجانا", "मुफ्त", "मुफ़्त", "फ्री",
)) + r"|免费")
_ASKS = re.compile(words_pattern((
    "anyone", "anybody", "someone", "somebody", "who", "alguem", "alguém", "alguien", "quien",
    "quelqu'un", "qui", "кто", "кто-нибудь", "кто нибудь", "ada yang", "ada yg", "siapa", "هل",
    "من", "कोई", "किसी",
)) + r"|有没有|谁有|有人")
_PRICE_LABEL = re.compile(words_pattern((
    "price", "prices", "pricing", "asking", "cost", "selling for", "цена", "стоимость", "прайс",
    "harga", "precio", "preço", "preco", "valor", "prix", "السعر", "سعر", "कीमत",
)) + r"|价格|售价")
_SELL_RE, _LEAK_RE = re.compile(_SELL), re.compile(_LEAK)
_BUY_RE, _REQUEST_RE, _PAY_RE = re.compile(_BUY), re.compile(_REQUEST), re.compile(_PAY)


def _kind(text: str) -> PostType | None:
    """The type one short span names (a title tag or the title's first words)."""
    if _BUY_RE.search(text) or _BUY_ZH.search(text):
        return "buy"
    if _REQUEST_RE.search(text) or _REQUEST_ZH.search(text):
        return "request"
    if _SELL_RE.search(text) or _SELL_ZH.search(text):
        return "sell"
    if _LEAK_RE.search(text) or _LEAK_ZH.search(text):
        return "leak"
    return None


def post_type(title: str, body: str, *, price_amount: float | None, has_samples: bool,
              paying: bool = False) -> PostType:
    """The post type from folded title and body and what was already read of the price;
    `paying`: the post names a price or a means of payment (a request that pays is a buy)."""
    if _OTHER.search(title.split(":")[0] if ":" in title[:30] else title):
        return "other"
    kind = _type(title, body, price_amount, has_samples)
    if kind == "request" and (paying or _PAY_RE.search(title + " " + body)):
        return "buy"
    if kind in ("sell", "leak") and _NOT_DATA_SALE.search(title) and not re.search(
            r"\d\s?(?:[mkb]|million|juta)\b.*(?:users|accounts|records|lines)", title):
        return "other"
    if kind in ("buy", "request") and not (_DATA.search(title) or _DATA.search(body)):
        return "other"
    return kind


def discussion(title: str) -> bool:
    """A discussion, report, guide or announcement: it sells nothing and prices nothing."""
    return bool(_OTHER.search(title))


def _type(title: str, body: str, price_amount: float | None, has_samples: bool) -> PostType:
    if "?" in title and _ASKS.search(title):
        return "request"  # "Does anyone sell X?", "Alguém vende base de X?"
    tag = _TAG.match(title)
    if tag:
        kind = _kind(tag.group(1))
        if kind is not None:
            return _refine(kind, title, body, price_amount)
    first = _FIRST_WORDS.match(title)
    if first:
        kind = _kind(first.group(1))
        if kind is not None:
            return _refine(kind, title, body, price_amount)
    head = body[:300]
    if _BUY_RE.search(title) or _BUY_ZH.search(title):
        return "buy"
    if _REQUEST_RE.search(title) or _REQUEST_ZH.search(title):
        return _refine("request", title, body, price_amount)
    paid = price_amount is not None and price_amount > 0
    sell = bool(_SELL_RE.search(title) or _SELL_ZH.search(title))
    leak = bool(_LEAK_RE.search(title) or _LEAK_ZH.search(title))
    if sell or (paid and not leak):
        return "sell"
    if leak:
        # "KYC dump" names the data, not a free share: with a price asked for it, it is sold
        if paid and not _FREE_RE.search(title) and (
                _SELL_RE.search(body) or _PRICE_LABEL.search(body)):
            return "sell"
        return "leak"
    if _SELL_RE.search(head) or _SELL_ZH.search(head):
        return "sell"
    if _BUY_RE.search(head) or _BUY_ZH.search(head[:60]):
        return "buy"
    if _LEAK_RE.search(body) or _LEAK_ZH.search(body):
        return "leak" if not paid else "sell"
    if paid:
        return "sell"
    if _REQUEST_RE.search(head) or _REQUEST_ZH.search(head[:60]):
        return _refine("request", title, body, price_amount)
    if has_samples and price_amount == 0:
        return "leak"
    return "other"


def _refine(kind: PostType, title: str, body: str, price_amount: float | None) -> PostType:
    """A 'free' tag on a priced post is a sell."""
    if kind == "leak" and price_amount and price_amount > 0 and not _FREE_RE.search(title):
        return "sell"
    return kind
