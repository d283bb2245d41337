/// Facts about this build of Estuary.
public enum Estuary {
    public static let version = "0.1.0"
    /// Sent as User-Agent and written as generator.
    public static let product = "Estuary/\(version)"
}
