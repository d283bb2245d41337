import Foundation
import Mustache

/// Writes an output as one self-contained HTML page: newest first, grouped by day.
///
/// Inline CSS, no JavaScript, no external requests (bodies appear as text
/// excerpts, so no image or font is fetched by a reader's browser). The page is
/// rendered from a Mustache template; `template = "path"` in the `[[output]]`
/// replaces the built-in one, with the same data (documented in docs/config.md).
struct RiverPage {
    let output: OutputConfig
    let sources: [String: SourceConfig]
    let statuses: [String: SourceStatus]
    let generated: Date

    func document(_ articles: [StoredArticle]) throws -> String {
        let text = try output.template.map { try String(contentsOfFile: $0, encoding: .utf8) } ?? Self.builtIn
        let template = try MustacheTemplate(string: text)
        return template.render(context(articles))
    }

    /// The data a template sees.
    func context(_ articles: [StoredArticle]) -> [String: Any] {
        var days: [[String: Any]] = []
        var currentDay: String? = nil
        var items: [[String: Any]] = []
        for article in articles {
            let stamp = CivilTime.rfc3339(article.sortDate)
            let day = String(stamp.prefix(10))
            if day != currentDay {
                if let currentDay { days.append(["day": Self.dayTitle(currentDay), "items": items]) }
                currentDay = day
                items = []
            }
            items.append(item(article, time: String(stamp.dropFirst(11).prefix(5))))
        }
        if let currentDay { days.append(["day": Self.dayTitle(currentDay), "items": items]) }
        var page: [String: Any] = [
            "title": output.title ?? output.name, "days": days,
            "generated": CivilTime.rfc3339(generated), "generator": Estuary.product,
            "sources": sources.values.sorted { $0.id < $1.id }.map { source -> [String: Any] in
                [
                    "title": source.title ?? statuses[source.id]?.feedTitle ?? source.id,
                    "link": statuses[source.id]?.feedLink ?? "",
                ]
            },
        ]
        if let subtitle = output.subtitle { page["subtitle"] = subtitle }
        return page
    }

    private func item(_ article: StoredArticle, time: String) -> [String: Any] {
        let item = article.item
        let source = sources[article.sourceID]
        let excerpt = HTMLPlain.text(item.summary ?? item.content ?? "")
        var values: [String: Any] = [
            "title": item.title ?? "(untitled)", "link": item.link ?? "", "time": time,
            "source": source?.title ?? statuses[article.sourceID]?.feedTitle ?? article.sourceID,
            "alternates": article.alternates.map { ["source": sources[$0.sourceID]?.title ?? $0.sourceID] },
        ]
        // Absent, not empty: a Mustache section on an empty string still renders.
        if let author = item.author, !author.isEmpty { values["author"] = author }
        if !excerpt.isEmpty { values["excerpt"] = excerpt.count > 320 ? String(excerpt.prefix(320)) + "…" : excerpt }
        return values
    }

    /// `2017-12-04` as `Monday 4 December 2017`.
    static func dayTitle(_ day: String) -> String {
        let parts = day.split(separator: "-").compactMap { Int($0) }
        guard parts.count == 3 else { return day }
        let days = CivilTime.days(year: parts[0], month: parts[1], day: parts[2])
        let weekday = ["Thursday", "Friday", "Saturday", "Sunday", "Monday", "Tuesday", "Wednesday"][((days % 7) + 7) % 7]
        let month = [
            "January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
            "November", "December",
        ][parts[1] - 1]
        return "\(weekday) \(parts[2]) \(month) \(parts[0])"
    }

    static let builtIn = """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta name="generator" content="{{generator}}">
        <title>{{title}}</title>
        <style>
        body { margin: 0 auto; max-width: 42rem; padding: 1rem; font: 1rem/1.5 system-ui, sans-serif; color: #1d2327; background: #fdfdfb; }
        header { border-bottom: 2px solid #2c6e8f; margin-bottom: 1rem; }
        h1 { margin: 0; font-size: 1.6rem; color: #2c6e8f; }
        header p { margin: .2rem 0 .8rem; color: #555; }
        h2 { font-size: .95rem; text-transform: uppercase; letter-spacing: .05em; color: #2c6e8f; margin: 1.8rem 0 .6rem; }
        article { padding: .7rem 0; border-bottom: 1px solid #e3e6e8; }
        article h3 { margin: 0 0 .2rem; font-size: 1.1rem; line-height: 1.3; }
        article h3 a { color: #1d2327; text-decoration: none; }
        article h3 a:hover { text-decoration: underline; }
        .meta { font-size: .85rem; color: #667; }
        .excerpt { margin: .3rem 0 0; color: #333; }
        footer { margin-top: 2rem; font-size: .8rem; color: #777; }
        @media (prefers-color-scheme: dark) {
          body { background: #15191c; color: #dfe3e6; } article h3 a { color: #dfe3e6; } .excerpt { color: #c5cacd; }
          article { border-color: #2a3034; } .meta, header p, footer { color: #9aa3a8; }
        }
        </style>
        </head>
        <body>
        <header><h1>{{title}}</h1>{{#subtitle}}<p>{{subtitle}}</p>{{/subtitle}}</header>
        <main>
        {{#days}}
        <section>
        <h2>{{day}}</h2>
        {{#items}}
        <article>
        <h3><a href="{{link}}">{{title}}</a></h3>
        <div class="meta">{{time}} · {{source}}{{#author}} · {{author}}{{/author}}{{#alternates}} · also in {{source}}{{/alternates}}</div>
        {{#excerpt}}<p class="excerpt">{{excerpt}}</p>{{/excerpt}}
        </article>
        {{/items}}
        </section>
        {{/days}}
        </main>
        <footer>Updated {{generated}} by {{generator}} from {{#sources}}{{title}}; {{/sources}}</footer>
        </body>
        </html>

        """
}
