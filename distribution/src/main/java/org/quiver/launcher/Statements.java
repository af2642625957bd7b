package org.quiver.launcher;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits a Gogo script into its top-level statements at ';' and new lines, so that each statement's result
 * is printed (Gogo itself returns only the last one). Separators inside quotes, braces, brackets and
 * parentheses belong to the statement.
 */
final class Statements {
    private Statements() {
    }

    static List<String> split(String script) {
        List<String> out = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        int depth = 0;
        char quote = 0;
        for (int i = 0; i < script.length(); i++) {
            char c = script.charAt(i);
            if (quote != 0) {
                current.append(c);
                if (c == '\\' && i + 1 < script.length()) {
                    current.append(script.charAt(++i));
                } else if (c == quote) {
                    quote = 0;
                }
                continue;
            }
            switch (c) {
                case '\'':
                case '"':
                    quote = c;
                    current.append(c);
                    break;
                case '{':
                case '(':
                case '[':
                    depth++;
                    current.append(c);
                    break;
                case '}':
                case ')':
                case ']':
                    depth = Math.max(0, depth - 1);
                    current.append(c);
                    break;
                case ';':
                case '\n':
                    if (depth == 0) {
                        flush(current, out);
                    } else {
                        current.append(c);
                    }
                    break;
                default:
                    current.append(c);
            }
        }
        flush(current, out);
        return out;
    }

    private static void flush(StringBuilder current, List<String> out) {
        String s = current.toString().strip();
        if (!s.isEmpty()) {
            out.add(s);
        }
        current.setLength(0);
    }
}
