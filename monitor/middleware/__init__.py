"""Scrapy middleware of Bazaarwatch, one component a module: logins (login.py), back-off on rate
limits (ratelimit.py), ban pages (ban.py), anti-DDoS challenges (challenge.py), the page budget
(budget.py) and incremental crawling (incremental.py, a spider middleware). Each is built in
``from_crawler`` and enabled in monitor/settings.py."""
