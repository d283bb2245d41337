#!/usr/bin/env python3
"""Generates the deterministic feed corpus for Benchmarks/parse-benchmark.sh.

Usage: Benchmarks/generate_corpus.py [--scale F] OUTPUT_DIR

Writes, at scale 1:
  OUTPUT_DIR/feeds/feed-0000.xml ... feed-0999.xml   1000 feeds x 50 items,
      RSS 2.0 and Atom 1.0 about half and half, about 250 MB in all;
  OUTPUT_DIR/big/big-feed.xml                        one RSS 2.0 feed of about
      50 MB (the same item generator, more items), for peak memory.

--scale F shrinks (or grows) the number of feed files and the size of the big
feed; a feed keeps its 50 items of 2-5 KB bodies at any scale, so a small
corpus has the same shape as the full one. Existing *.xml files in
OUTPUT_DIR/feeds and OUTPUT_DIR/big are removed first.

The output is byte-identical for the same arguments, on any machine and any
Python 3: every random choice comes from random.Random(seed).random(), the
one part of the random module whose sequence Python guarantees across
versions (randint, choice and shuffle are built here on top of it), and
nothing depends on the clock, the locale or the environment. The last line
printed is a SHA-256 over all files (names and contents) to compare corpora.

Python standard library only.
"""

import argparse
import hashlib
import os
import random
import sys

SEED = 20240229
FEED_FILES = 1000
ITEMS_PER_FEED = 50
BIG_FEED_BYTES = 50_000_000
BODY_MIN_BYTES = 2048
BODY_MAX_BYTES = 5120
# The generated dates fall between 2023-01-01 and 2024-12-31 (UTC).
EPOCH_2023 = 1672531200
TWO_YEARS = 2 * 365 * 86400

WORDS = (
    "the of and to in is that for it as was with be by on not he this are or his from at which but have an they "
    "you were her she there been one all we their has would when if so no what up out who them some into more "
    "time could than other its only then about over also new like these two may first any after well way even "
    "most because people how through between where many being those before same another while last long right "
    "river estuary feed parser release kernel network memory thread socket buffer latency compiler package "
    "archive mirror upstream patch review module driver storage cluster schedule budget council harbour "
    "library editor garden weather market election museum concert festival season recipe journey mountain "
    "coast island bridge tunnel railway station village orchard meadow valley forest winter summer autumn"
).split()
NON_ASCII_WORDS = ["café", "naïve", "Zürich", "São Paulo", "Ångström", "coöperate", "résumé", "Łódź", "東京", "€20"]
FIRST_NAMES = ["Ada", "Brian", "Chloé", "Dmitri", "Erin", "Farah", "Grace", "Hiro", "Ines", "Jon", "Kalinda",
               "Lars", "Mei", "Nnamdi", "Olga", "Priya", "Quentin", "Rosa", "Sven", "Tomás", "Uma", "Viktor"]
LAST_NAMES = ["Lovelace", "Kernighan", "Dubois", "Ivanov", "O'Neill", "Haddad", "Hopper", "Tanaka", "Silva",
              "Snow", "Müller", "Okafor", "Petrova", "Sharma", "Lambert", "Ortega", "Berg", "Novak"]
CATEGORIES = ["Linux", "Swift", "Networking", "Security", "Releases", "Hardware", "Databases", "Culture",
              "Science", "Politics", "Travel", "Food", "Music", "Books", "Open Source", "C & C++", "Web",
              "Design", "Climate", "History"]
TLDS = ["example.com", "example.org", "example.net"]
EXTERNAL_HOSTS = ["https://en.wikipedia.org/wiki/", "https://lwn.net/Articles/", "https://github.com/estuary/",
                  "http://www.example.edu/~user/", "https://news.example.net/story/"]
DAY_NAMES = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
MONTH_NAMES = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
RFC822_ZONES = ["+0000", "+0000", "GMT", "GMT", "-0500", "-0800", "+0100", "+0200", "+0530", "EST", "PDT"]
RFC822_ZONE_MINUTES = {"+0000": 0, "GMT": 0, "-0500": -300, "-0800": -480, "+0100": 60, "+0200": 120,
                       "+0530": 330, "EST": -300, "PDT": -420}
RFC3339_ZONES = ["Z", "Z", "Z", "+00:00", "+01:00", "+02:00", "-05:00", "-07:00", "+05:30", "+09:00"]
ENCLOSURE_TYPES = [("audio/mpeg", "mp3"), ("audio/ogg", "ogg"), ("video/mp4", "mp4"), ("application/pdf", "pdf")]


class Rng:
    """Every choice goes through random.Random.random(), stable across Pythons."""

    def __init__(self, seed):
        self._random = random.Random(seed).random

    def below(self, n):
        return int(self._random() * n)

    def between(self, low, high):  # inclusive
        return low + self.below(high - low + 1)

    def chance(self, p):
        return self._random() < p

    def pick(self, seq):
        return seq[self.below(len(seq))]


# --- Dates ---------------------------------------------------------------------------------------------------

def civil_from_days(days):
    """Days since 1970-01-01 to (year, month, day); Howard Hinnant's algorithm, no time module needed."""
    days += 719468
    era = days // 146097
    doe = days - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    year = yoe + era * 400
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = mp + 3 if mp < 10 else mp - 9
    return (year + 1 if month <= 2 else year), month, day


def broken_down(seconds):
    days, rest = divmod(seconds, 86400)
    year, month, day = civil_from_days(days)
    weekday = (days + 3) % 7  # 1970-01-01 was a Thursday; 0 = Monday
    return year, month, day, rest // 3600, rest % 3600 // 60, rest % 60, weekday


def rfc822(rng, utc_seconds):
    zone = rng.pick(RFC822_ZONES)
    y, mo, d, h, mi, s, wd = broken_down(utc_seconds + RFC822_ZONE_MINUTES[zone] * 60)
    return "%s, %02d %s %04d %02d:%02d:%02d %s" % (DAY_NAMES[wd], d, MONTH_NAMES[mo - 1], y, h, mi, s, zone)


def rfc3339(rng, utc_seconds):
    zone = rng.pick(RFC3339_ZONES)
    offset = 0 if zone == "Z" else (1 if zone[0] == "+" else -1) * (int(zone[1:3]) * 60 + int(zone[4:6]))
    y, mo, d, h, mi, s, _ = broken_down(utc_seconds + offset * 60)
    fraction = ".%03d" % rng.below(1000) if rng.chance(0.2) else ""
    return "%04d-%02d-%02dT%02d:%02d:%02d%s%s" % (y, mo, d, h, mi, s, fraction, zone)


# --- Text and HTML -------------------------------------------------------------------------------------------

def xml_escape(text):
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def attr_escape(text):
    return xml_escape(text).replace('"', "&quot;")


def words(rng, low, high):
    out = []
    for _ in range(rng.between(low, high)):
        out.append(rng.pick(NON_ASCII_WORDS) if rng.chance(0.01) else rng.pick(WORDS))
    return out


def sentence(rng):
    ws = words(rng, 6, 18)
    ws[0] = ws[0][:1].upper() + ws[0][1:]
    return " ".join(ws) + rng.pick([".", ".", ".", "?", "!"])


def title_text(rng):
    """Plain text (not yet escaped) with the odd ampersand and curly apostrophe."""
    ws = words(rng, 3, 9)
    if rng.chance(0.2):
        ws.insert(rng.below(len(ws)), "&")
    if rng.chance(0.2):
        ws.append("isn\u2019t over")
    text = " ".join(ws)
    return text[:1].upper() + text[1:]


def slug(rng):
    return "-".join(rng.pick(WORDS) for _ in range(rng.between(2, 5)))


def href(rng, site):
    kind = rng.below(6)
    if kind == 0:
        return "/%04d/%02d/%s.html" % (rng.between(2015, 2024), rng.between(1, 12), slug(rng))
    if kind == 1:
        return "%s.html" % slug(rng)
    if kind == 2:
        return "../tags/%s/" % rng.pick(WORDS)
    if kind == 3:
        return "%s%s?ref=feed&amp;utm_source=rss" % (site, slug(rng))
    return rng.pick(EXTERNAL_HOSTS) + slug(rng)


def inline_html(rng, site):
    """A paragraph's content: sentences with entities and inline markup."""
    parts = []
    for _ in range(rng.between(2, 5)):
        s = sentence(rng)
        r = rng.below(14)
        if r == 0:
            s = '<a href="%s">%s</a> %s' % (href(rng, site), " ".join(words(rng, 1, 4)), s)
        elif r == 1:
            s = "%s <em>%s</em>" % (s, " ".join(words(rng, 1, 3)))
        elif r == 2:
            s = "<strong>%s</strong> %s" % (" ".join(words(rng, 1, 3)), s)
        elif r == 3:
            s = "%s <code>%s()</code>" % (s, rng.pick(WORDS))
        elif r == 4:
            s = "It&#8217;s %s &amp; %s." % (rng.pick(WORDS), s)
        elif r == 5:
            s = "&#8220;%s&#8221; %s" % (" ".join(words(rng, 2, 5)), s)
        elif r == 6:
            s = '%s (see <a href="%s" title="%s">this</a>)' % (s, href(rng, site), rng.pick(WORDS))
        elif r == 7:
            s = "%s&nbsp;&mdash; %s" % (s, rng.pick(WORDS))
        elif r == 8 and rng.chance(0.1):
            s = '<span onclick="track(%d)">%s</span>' % (rng.below(10000), s)
        parts.append(s)
    return " ".join(parts)


def block_html(rng, site):
    r = rng.below(20)
    if r < 12:
        return "<p>%s</p>" % inline_html(rng, site)
    if r == 12:
        return '<p><img src="%s" alt="%s" width="%d" height="%d"></p>' % (
            rng.pick(["/images/", "images/", "https://cdn.example.net/img/"]) + slug(rng) + ".jpg",
            " ".join(words(rng, 2, 5)), rng.pick([640, 800, 1200]), rng.pick([360, 480, 675]))
    if r == 13:
        return "<ul>%s</ul>" % "".join("<li>%s</li>" % sentence(rng) for _ in range(rng.between(2, 5)))
    if r == 14:
        return "<blockquote><p>%s</p></blockquote>" % inline_html(rng, site)
    if r == 15:
        return "<pre><code>if (a &lt; b &amp;&amp; c &gt; d) {\n    %s();\n}</code></pre>" % rng.pick(WORDS)
    if r == 16:
        return "<h2>%s</h2>" % " ".join(words(rng, 2, 6))
    if r == 17:
        return '<figure><img src="%s.png" alt=""><figcaption>%s</figcaption></figure>' % (
            "../media/" + slug(rng), sentence(rng))
    if r == 18:
        return '<p style="color: #333"><a href="%s" target="_blank" rel="noopener">%s</a></p>' % (
            href(rng, site), sentence(rng))
    return "<p>%s<br>%s</p>" % (sentence(rng), sentence(rng))


def body_html(rng, site):
    # Longer posts are the more common: the larger of two uniform draws (mean at two thirds of the range).
    target = max(rng.between(BODY_MIN_BYTES, BODY_MAX_BYTES), rng.between(BODY_MIN_BYTES, BODY_MAX_BYTES))
    blocks = []
    size = 0
    if rng.chance(0.04):
        blocks.append('<script>window.analytics && analytics.track("view", {id: %d});</script>' % rng.below(99999))
    if rng.chance(0.03):
        blocks.append('<iframe src="https://www.example.com/embed/%d" width="560" height="315"></iframe>'
                      % rng.below(99999))
    if rng.chance(0.04):
        blocks.append('<p><a href="#" onclick="share(%d); return false;">Share</a></p>' % rng.below(99999))
    size = sum(len(b) for b in blocks)
    while size < target:
        block = block_html(rng, site)
        blocks.append(block)
        size += len(block) + 1
    return "\n".join(blocks)


def summary_text(rng):
    return " ".join(sentence(rng) for _ in range(rng.between(1, 3)))


def person(rng):
    return "%s %s" % (rng.pick(FIRST_NAMES), rng.pick(LAST_NAMES))


# --- Feeds ---------------------------------------------------------------------------------------------------

class Site:
    def __init__(self, rng, index):
        self.host = "blog%d.%s" % (index, rng.pick(TLDS))
        self.url = "https://%s/" % self.host
        self.title = title_text(rng)
        self.authors = [person(rng) for _ in range(rng.between(1, 4))]
        self.newest = EPOCH_2023 + rng.below(TWO_YEARS)


def item_times(rng, site, count):
    t = site.newest
    for _ in range(count):
        yield t
        t -= rng.between(600, 3 * 86400)


def rss_item(rng, site, t, number):
    link = "%s%04d/%s-%d.html" % (site.url, 2024, slug(rng), number)
    out = ["<item>", "<title>%s</title>" % xml_escape(title_text(rng)), "<link>%s</link>" % xml_escape(link)]
    if rng.chance(0.5):
        out.append('<guid isPermaLink="true">%s</guid>' % xml_escape(link))
    else:
        out.append('<guid isPermaLink="false">%s?p=%d</guid>' % (site.url, 100000 + number))
    out.append("<pubDate>%s</pubDate>" % rfc822(rng, t))
    out.append("<dc:creator><![CDATA[%s]]></dc:creator>" % rng.pick(site.authors))
    for _ in range(rng.between(1, 4)):
        out.append("<category>%s</category>" % xml_escape(rng.pick(CATEGORIES)))
    out.append("<description>%s</description>" % xml_escape(summary_text(rng)))
    out.append("<content:encoded><![CDATA[%s]]></content:encoded>" % body_html(rng, site.url))
    if rng.chance(0.15):
        mime, ext = rng.pick(ENCLOSURE_TYPES)
        out.append('<enclosure url="%smedia/%s.%s" length="%d" type="%s"/>'
                   % (site.url, slug(rng), ext, rng.between(100000, 90000000), mime))
    out.append("</item>")
    return "\n".join(out) + "\n"


def rss_head(rng, site, index):
    return "\n".join([
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"'
        ' xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:atom="http://www.w3.org/2005/Atom">',
        "<channel>",
        "<title>%s</title>" % xml_escape(site.title),
        "<link>%s</link>" % site.url,
        "<description>%s</description>" % xml_escape(summary_text(rng)),
        "<language>en-us</language>",
        "<lastBuildDate>%s</lastBuildDate>" % rfc822(rng, site.newest),
        '<atom:link href="%sfeed-%d.xml" rel="self" type="application/rss+xml"/>' % (site.url, index),
        "<generator>estuary-bench</generator>",
    ]) + "\n"


RSS_TAIL = "</channel>\n</rss>\n"


def atom_entry(rng, site, t, number):
    link = "%s%04d/%s-%d" % (site.url, 2024, slug(rng), number)
    published = t - rng.below(86400 * 3) if rng.chance(0.3) else t
    title_type = ' type="html"' if rng.chance(0.1) else ""
    title = title_text(rng)
    if title_type:
        title = "<em>%s</em> %s" % (rng.pick(WORDS), title)
    out = [
        "<entry>",
        "<title%s>%s</title>" % (title_type, xml_escape(title)),
        '<link rel="alternate" type="text/html" href="%s"/>' % attr_escape(link),
        "<id>tag:%s,2024:/entry/%d</id>" % (site.host, number),
        "<published>%s</published>" % rfc3339(rng, published),
        "<updated>%s</updated>" % rfc3339(rng, t),
    ]
    if rng.chance(0.3):
        out.append("<author><name>%s</name><email>%s@%s</email></author>"
                   % (xml_escape(rng.pick(site.authors)), rng.pick(WORDS), site.host))
    else:
        out.append("<author><name>%s</name></author>" % xml_escape(rng.pick(site.authors)))
    for _ in range(rng.between(1, 4)):
        out.append('<category term="%s"/>' % attr_escape(rng.pick(CATEGORIES)))
    if rng.chance(0.5):
        out.append('<summary type="html">%s</summary>' % xml_escape("<p>%s</p>" % summary_text(rng)))
    base = ' xml:base="%s%04d/"' % (site.url, 2024) if rng.chance(0.3) else ""
    out.append('<content type="html"%s>%s</content>' % (base, xml_escape(body_html(rng, site.url))))
    if rng.chance(0.1):
        mime, ext = rng.pick(ENCLOSURE_TYPES)
        out.append('<link rel="enclosure" type="%s" length="%d" href="%smedia/%s.%s"/>'
                   % (mime, rng.between(100000, 90000000), site.url, slug(rng), ext))
    out.append("</entry>")
    return "\n".join(out) + "\n"


def atom_head(rng, site, index):
    return "\n".join([
        '<?xml version="1.0" encoding="utf-8"?>',
        '<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en">',
        "<title>%s</title>" % xml_escape(site.title),
        "<subtitle>%s</subtitle>" % xml_escape(summary_text(rng)),
        '<link rel="alternate" type="text/html" href="%s"/>' % site.url,
        '<link rel="self" type="application/atom+xml" href="%sfeed-%d.atom"/>' % (site.url, index),
        "<id>%s</id>" % site.url,
        "<updated>%s</updated>" % rfc3339(rng, site.newest),
        "<author><name>%s</name></author>" % xml_escape(site.authors[0]),
        '<generator uri="https://example.com/estuary-bench">estuary-bench</generator>',
    ]) + "\n"


ATOM_TAIL = "</feed>\n"


def feed_file(index):
    rng = Rng(SEED * 1_000_003 + index)
    site = Site(rng, index)
    if rng.chance(0.5):
        head, item, tail = rss_head(rng, site, index), rss_item, RSS_TAIL
    else:
        head, item, tail = atom_head(rng, site, index), atom_entry, ATOM_TAIL
    parts = [head]
    for number, t in enumerate(item_times(rng, site, ITEMS_PER_FEED)):
        parts.append(item(rng, site, t, number))
    parts.append(tail)
    return "".join(parts).encode("utf-8")


def big_feed(target_bytes):
    """One RSS 2.0 feed: items until the file reaches target_bytes."""
    rng = Rng(SEED * 1_000_003 - 1)
    site = Site(rng, 999999)
    site.newest = EPOCH_2023 + TWO_YEARS  # room for many items going back in time
    head = rss_head(rng, site, 999999).encode("utf-8")
    tail = RSS_TAIL.encode("utf-8")
    parts = [head]
    size = len(head) + len(tail)
    t = site.newest
    number = 0
    while size < target_bytes or number == 0:
        data = rss_item(rng, site, t, number).encode("utf-8")
        parts.append(data)
        size += len(data)
        t -= rng.between(60, 3600)
        number += 1
    parts.append(tail)
    return b"".join(parts), number


def clear_xml(folder):
    os.makedirs(folder, exist_ok=True)
    for name in sorted(os.listdir(folder)):
        if name.endswith(".xml"):
            os.remove(os.path.join(folder, name))


def main():
    parser = argparse.ArgumentParser(description="Generate the deterministic parse-benchmark corpus.")
    parser.add_argument("--scale", type=float, default=1.0,
                        help="multiply the number of feed files and the big feed's size (default 1)")
    parser.add_argument("output", help="folder to write into (feeds/ and big/ inside it)")
    args = parser.parse_args()
    if not args.scale > 0:
        parser.error("--scale must be greater than 0")

    files = max(1, round(FEED_FILES * args.scale))
    big_target = max(1, round(BIG_FEED_BYTES * args.scale))
    feeds_dir = os.path.join(args.output, "feeds")
    big_dir = os.path.join(args.output, "big")
    clear_xml(feeds_dir)
    clear_xml(big_dir)

    digest = hashlib.sha256()
    total = 0
    rss = 0
    for index in range(files):
        data = feed_file(index)
        rss += data.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<rss')
        name = "feeds/feed-%04d.xml" % index
        with open(os.path.join(args.output, name), "wb") as f:
            f.write(data)
        digest.update(name.encode() + b"\0" + data)
        total += len(data)
        if sys.stderr.isatty() and (index + 1) % 50 == 0:
            print("  %d/%d feeds" % (index + 1, files), file=sys.stderr, end="\r")

    data, big_items = big_feed(big_target)
    name = "big/big-feed.xml"
    with open(os.path.join(args.output, name), "wb") as f:
        f.write(data)
    digest.update(name.encode() + b"\0" + data)

    mb = 1_000_000
    print("feeds: %d files (%d RSS 2.0, %d Atom 1.0) x %d items, %d bytes (%.1f MB)"
          % (files, rss, files - rss, ITEMS_PER_FEED, total, total / mb))
    print("big feed: 1 file (RSS 2.0), %d items, %d bytes (%.1f MB)" % (big_items, len(data), len(data) / mb))
    print("total: %d bytes (%.1f MB) in %s" % (total + len(data), (total + len(data)) / mb, args.output))
    print("sha256: %s" % digest.hexdigest())


if __name__ == "__main__":
    main()
