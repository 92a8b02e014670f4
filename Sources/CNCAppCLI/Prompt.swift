/// Docker's confirmation prompt: the warning, ` [y/N] `, and a line from stdin; only `y` or
/// `yes` (any case) agree. End of input is a no.
public enum Prompt {
    public static func confirm(_ warning: String) -> Bool {
        print(warning + " [y/N] ", terminator: "")
        let answer = readLine()?.trimmingSpaces.lowercased() ?? ""
        return answer == "y" || answer == "yes"
    }
}
