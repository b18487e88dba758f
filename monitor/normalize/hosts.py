"""Tables of hosts the normalizer knows by role: where samples are shared (file hosts, paste
sites), where sellers are contacted, which forums and services are neither data nor victim, and
the top-level domains a scheme-less host may end in."""

from __future__ import annotations

FILE_HOSTS = frozenset({
    "mega.nz", "mega.io", "mega.co.nz", "bayfiles.com", "anonfiles.com", "anonfile.com",
    "anonfiles.me", "gofile.io", "pixeldrain.com", "mediafire.com", "dropbox.com",
    "drive.google.com", "docs.google.com", "sendspace.com", "uploadfiles.io", "file.io",
    "zippyshare.com", "workupload.com", "krakenfiles.com", "catbox.moe", "litter.catbox.moe",
    "transfer.sh", "wetransfer.com", "we.tl", "qiwi.gg", "buzzheavier.com", "uploadhaven.com",
    "1fichier.com", "rapidgator.net", "nitroflare.com", "uploaded.net", "turbobit.net",
    "letsupload.io", "anonymfile.com", "filetransfer.io", "send.cm", "upload.ee", "files.fm",
    "disk.yandex.ru", "disk.yandex.com", "yadi.sk", "cloud.mail.ru", "pan.baidu.com",
    "115.com", "lanzoui.com", "lanzoux.com", "lanzous.com", "ufile.io", "racaty.net",
    "racaty.io", "oshi.at", "temp.sh", "uguu.se", "sendgb.com", "swisstransfer.com",
    "filemail.com", "tusfiles.com", "hexupload.net", "ddownload.com", "easyupload.io",
    "filebin.net", "files.dp.ua", "onedrive.live.com", "1drv.ms", "box.com", "icedrive.net",
    "pcloud.com", "u.pcloud.link", "terabox.com", "teraboxapp.com", "4shared.com",
    "solidfiles.com", "upload.disroot.org", "cyberdrop.me", "bunkr.si", "dosya.co",
    "limewire.com", "filedropper.com", "anonfiles.la", "files.catbox.moe", "uploadnow.io",
    "dbree.org", "dbree.me", "bowfile.com", "desiupload.co", "usersdrive.com", "file-upload.com",
    "userscloud.com", "mixdrop.co", "filen.io", "drive.proton.me", "sync.com",
    "aliyundrive.com", "alipan.com", "weiyun.com", "ctfile.com", "123pan.com", "quark.cn",
    "pan.quark.cn", "jumpshare.com", "uptobox.com", "dl.free.fr", "fromsmash.com",
    "wormhole.app", "send.vis.ee", "raw.githubusercontent.com", "gist.github.com", "disk.360.cn",
    "tmpfiles.org", "0x0.st",
    "anonsharing.com", "fastupload.io", "megaup.net", "upload.cat", "uploadrar.com",
    "dropmefiles.com", "dropmefiles.net", "files.vc", "sendit.sh", "anonfiles.io", "lanzn.com",
    "lanzouw.com", "lanzoul.com", "lanzouj.com", "lanzout.com", "katfile.com", "hexload.com",
    "upload.io", "transfer.it", "pomf.lain.la", "anonfile.io", "gofile.me", "bayfiles.io",
    "dl.dropboxusercontent.com", "nippybox.com", "files.pw", "sendspace.org", "filebin.ca",
    "fex.net", "wdfiles.ru", "file.kiwi", "bashupload.com", "storage.googleapis.com",
    "s3.amazonaws.com", "blob.core.windows.net", "transfer.pcloud.com", "disk.yandex.kz",
})
PASTE_SITES = frozenset({
    "pastebin.com", "ghostbin.com", "ghostbin.co", "ghostbin.me", "paste.ee", "privatebin.net",
    "rentry.co", "rentry.org", "controlc.com", "justpaste.it", "hastebin.com", "pastes.io",
    "paste.fo", "doxbin.com", "doxbin.org", "paste.gg", "dpaste.com", "dpaste.org", "0bin.net",
    "zerobin.net", "paste2.org", "textbin.net", "pastebin.pl", "bin.disroot.org", "paste.rs",
    "pastelink.net", "telegra.ph", "termbin.com", "ideone.com", "paste.ubuntu.com",
    "pastebin.ai", "paste.sh", "snippet.host", "notes.io", "write.as", "anotepad.com",
    "pastecode.io", "defuse.ca", "paste.mozilla.org", "paste.centos.org", "katb.in",
    "paste.debian.net", "throwbin.io", "privnote.com", "pasteio.com", "rlim.com",
})
CONTACT_HOSTS = frozenset({
    "t.me", "telegram.me", "telegram.dog", "telegram.org", "wa.me", "whatsapp.com",
    "discord.gg", "discord.com", "discordapp.com", "signal.me", "signal.group", "keybase.io",
    "matrix.to", "element.io", "session.im", "getsession.org", "qtox.github.io", "tox.chat",
    "jabber.org", "xmpp.jp", "jabber.ru", "exploit.im", "thesecure.biz", "jabb.im", "404.city",
    "conversations.im", "jabber.cz", "xmpp.is", "jabber.de", "jabber.at", "dismail.de",
    "yourdomain.com",
})
XMPP_HOSTS = frozenset({
    "jabber.org", "xmpp.jp", "jabber.ru", "exploit.im", "thesecure.biz", "jabb.im", "404.city",
    "conversations.im", "jabber.cz", "xmpp.is", "jabber.de", "jabber.at",
    "jabber.calyxinstitute.org",
    "xmpp.cm", "jabber.fr", "jabber.sk", "jabbim.com", "jabber.ccc.de", "yax.im", "xmpp.co",
    "creep.im", "jabber.hot-chilli.net", "jabber.otr.im", "blah.im", "safetyjabber.com",
    "jabber.zone", "xmpp.earth", "qtox.im", "rows.io", "jabber.vip", "jabber.cd",
})
# Hosts that are neither data nor the victim: forums, image hosts, search, link services.
NEUTRAL_HOSTS = frozenset({
    "raidforums.com", "breachforums.com", "breachforums.is", "breachforums.st", "breachforums.vc",
    "breachforums.bf", "breached.to", "breached.vc", "xss.is", "exploit.in", "forum.exploit.in",
    "cracked.io", "cracked.to", "nulled.to", "leakbase.io", "leakbase.cc", "bhf.io",
    "dread.onion", "imgur.com", "i.imgur.com", "ibb.co", "i.ibb.co", "prnt.sc", "prntscr.com",
    "postimg.cc", "i.postimg.cc", "gyazo.com", "imgbb.com", "lightshot.com", "virustotal.com",
    "google.com", "bit.ly", "tinyurl.com", "goo.gl", "youtube.com", "youtu.be", "twitter.com",
    "x.com", "haveibeenpwned.com", "web.archive.org", "archive.ph", "archive.is", "localhost",
    "example.com", "example.org", "example.net", "torproject.org", "protonmail.com",
    "proton.me", "tutanota.com", "cock.li", "onionmail.org", "gmail.com", "yahoo.com",
    "outlook.com", "hotmail.com", "mail.ru", "yandex.ru", "qq.com", "163.com", "riseup.net",
    "xmr.to", "blockchain.com", "blockchair.com", "etherscan.io", "tronscan.org",
    "mempool.space", "wikipedia.org", "en.wikipedia.org", "reddit.com",
})
DATA_EXTENSIONS = (
    ".zip", ".rar", ".7z", ".sql", ".csv", ".txt", ".json", ".xlsx", ".xls", ".gz", ".tgz",
    ".tar", ".bak", ".dump", ".db", ".sqlite", ".torrent", ".bz2", ".xz", ".zst", ".mdb",
    ".accdb", ".ndjson", ".jsonl", ".parquet", ".dat",
)
# Top-level domains a host written without a scheme may end in. File-name endings that are also
# TLDs (.zip, .mov, .py, .sh, .md) are left out on purpose: "dump.zip" is a file, not a host.
TLDS = frozenset([
    "com", "net", "org", "info", "biz", "edu", "gov", "mil", "int", "io", "co", "me", "cc", "tv",
    "ws", "to", "gg", "ly", "is", "im", "la", "su", "xyz", "top", "site", "online", "store",
    "shop", "app", "dev", "tech", "cloud", "live", "club", "pro", "name", "mobi", "asia", "tel",
    "travel", "space", "website", "fun", "link", "click", "world", "today", "news", "host",
    "press", "ltd", "group", "network", "systems", "solutions", "services", "agency", "digital",
    "email", "market", "money", "finance", "bank", "insurance", "health", "care", "hospital",
    "clinic", "school", "academy", "university", "social", "media", "blog", "wiki", "one", "vip",
    "win", "bet", "casino", "games", "game", "icu", "cyou", "sbs", "cfd", "rest", "bond",
    "monster", "onion", "ai", "ac", "ad", "ae", "af", "ag", "al", "am", "ao", "aq", "ar", "as",
    "at", "au", "aw", "ax", "az", "ba", "bb", "bd", "be", "bf", "bg", "bh", "bi", "bj", "bm", "bn",
    "bo", "br", "bs", "bt", "bw", "by", "bz", "ca", "cd", "cf", "cg", "ch", "ci", "ck", "cl", "cm",
    "cn", "cr", "cu", "cv", "cw", "cx", "cy", "cz", "de", "dj", "dk", "dm", "do", "dz", "ec", "ee",
    "eg", "er", "es", "et", "eu", "fi", "fj", "fk", "fm", "fo", "fr", "ga", "gb", "gd", "ge", "gf",
    "gh", "gi", "gl", "gm", "gn", "gp", "gq", "gr", "gs", "gt", "gu", "gw", "gy", "hk", "hm", "hn",
    "hr", "ht", "hu", "id", "ie", "il", "in", "iq", "ir", "it", "je", "jm", "jo", "jp", "ke", "kg",
    "kh", "ki", "km", "kn", "kp", "kr", "kw", "ky", "kz", "lb", "lc", "li", "lk", "lr", "ls", "lt",
    "lu", "lv", "ma", "mc", "mg", "mh", "mk", "ml", "mm", "mn", "mo", "mp", "mq", "mr", "ms", "mt",
    "mu", "mv", "mw", "mx", "my", "mz", "na", "nc", "ne", "nf", "ng", "ni", "nl", "no", "np", "nr",
    "nu", "nz", "om", "pa", "pe", "pf", "pg", "ph", "pk", "pl", "pm", "pn", "pr", "ps", "pt", "pw",
    "py", "qa", "re", "ro", "rs", "ru", "rw", "sa", "sb", "sc", "sd", "se", "sg", "sh", "si", "sk",
    "sl", "sm", "sn", "so", "sr", "ss", "st", "sv", "sx", "sy", "sz", "tc", "td", "tf", "tg", "th",
    "tj", "tk", "tl", "tm", "tn", "tr", "tt", "tw", "tz", "ua", "ug", "uk", "us", "uy", "uz", "va",
    "vc", "ve", "vg", "vi", "vn", "vu", "wf", "ye", "yt", "za", "zm", "zw", "moe", "nz"
]) - {"py", "sh", "md", "zip", "mov", "so", "pl", "rs", "do", "it", "am", "is", "me",
                "to", "at", "be", "in", "as", "no", "us", "my", "id", "ms", "pm", "ai", "gg"}
# Country-code TLDs that read as words too: accepted only with a scheme, a path, a defanged
# dot, or a second-level label before them ("kpu.go.id", "gob.pe").
WORDLIKE_TLDS = frozenset({"py", "pl", "rs", "do", "it", "am", "is", "me", "to", "at", "be",
                           "in", "as", "no", "us", "my", "id", "ms", "pm", "ai", "gg", "so", "sh"})


def suffixes(host: str) -> list[str]:
    """`host` (lower case, without "www.") and every domain it is under, longest first, down to
    its top-level domain: what a table of host names is looked up by."""
    host = host.lower().rstrip(".").removeprefix("www.")
    if host.count(".") > 8:
        host = ".".join(host.rsplit(".", 9)[1:])  # tables hold short names: look at the end
    found = [host]
    while "." in host:
        host = host.partition(".")[2]
        found.append(host)
    return found


def host_in(host: str, table: frozenset[str]) -> bool:
    """True when `host` is a member of `table` or a subdomain of one."""
    return any(name in table for name in suffixes(host))
