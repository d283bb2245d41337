import EstuaryCore
import Foundation
import GRDB

/// Cross-source deduplication: is a newly stored item an article another source already brought?
enum Dedupe {
    /// Two copies of one article published this far apart are still one (same normalized title).
    static let titleWindow: Double = 48 * 3600

    /// Links the new item at (`source`, `key`) to the first-seen copy of the same article in
    /// another source of the scope, if there is one. Returns true when the new item is the alternate.
    static func link(
        _ db: Database, source: String, key: String, canonical: String?, titleKey: String?, date: Date?,
        firstSeen: Double, context: DedupeContext
    ) throws -> Bool {
        if let scope = context.scope, scope.isEmpty { return false }
        guard
            let primary = try findPrimary(
                db, source: source, canonical: canonical, titleKey: titleKey, date: date, scope: context.scope)
        else { return false }
        let primarySource: String = primary["source_id"]
        let primaryKey: String = primary["key"]
        let primarySeen: Double = primary["first_seen"]
        // Seen in the same cycle: the source listed first in the config keeps the article.
        let rank = context.rank
        if primarySeen == firstSeen, rank[source, default: .max] < rank[primarySource, default: .max] {
            try db.cachedStatement(
                sql: """
                    UPDATE item SET duplicate_of_source = ?, duplicate_of_key = ?
                    WHERE (source_id = ? AND key = ?) OR (duplicate_of_source = ? AND duplicate_of_key = ?)
                    """
            ).execute(arguments: [source, key, primarySource, primaryKey, primarySource, primaryKey])
            return false
        }
        try db.cachedStatement(
            sql: "UPDATE item SET duplicate_of_source = ?, duplicate_of_key = ? WHERE source_id = ? AND key = ?"
        ).execute(arguments: [primarySource, primaryKey, source, key])
        return true
    }

    private static func findPrimary(
        _ db: Database, source: String, canonical: String?, titleKey: String?, date: Date?, scope: [String]?
    ) throws -> Row? {
        var scopeClause = ""
        var scopeArguments = StatementArguments()
        if let scope {
            scopeClause = " AND source_id IN (" + Array(repeating: "?", count: scope.count).joined(separator: ", ") + ")"
            scopeArguments = StatementArguments(scope)
        }
        if let canonical {
            var arguments: StatementArguments = [canonical, source]
            arguments += scopeArguments
            if let row = try Row.fetchOne(
                db.cachedStatement(
                    sql: """
                        SELECT source_id, key, first_seen FROM item
                        WHERE canonical_link = ? AND source_id != ? AND duplicate_of_key IS NULL\(scopeClause)
                        ORDER BY first_seen, source_id LIMIT 1
                        """),
                arguments: arguments)
            {
                return row
            }
        }
        // Else the same title, published within 48 hours of each other.
        guard let titleKey, let date else { return nil }
        let when = date.timeIntervalSince1970
        var arguments: StatementArguments = [titleKey, source, when - titleWindow, when + titleWindow]
        arguments += scopeArguments
        return try Row.fetchOne(
            db.cachedStatement(
                sql: """
                    SELECT source_id, key, first_seen FROM item
                    WHERE title_key = ? AND source_id != ? AND duplicate_of_key IS NULL
                        AND coalesce(published, updated) BETWEEN ? AND ?\(scopeClause)
                    ORDER BY first_seen, source_id LIMIT 1
                    """),
            arguments: arguments)
    }
}
