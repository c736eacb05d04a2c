// The little JSON the generator needs: string quoting, and reading a case
// back (--cases) with a small recursive-descent parser.
import java.util.*;

final class Json {
    static String str(String s) {
        if (s == null) return "null";
        StringBuilder b = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"': b.append("\\\""); break;
                case '\\': b.append("\\\\"); break;
                case '\n': b.append("\\n"); break;
                case '\r': b.append("\\r"); break;
                case '\t': b.append("\\t"); break;
                default:
                    if (c < 0x20 || c > 0x7e) b.append(String.format("\\u%04x", (int) c));
                    else b.append(c);
            }
        }
        return b.append('"').toString();
    }

    @SuppressWarnings("unchecked")
    static Gen.Case parseCase(String line) {
        Map<String, Object> m = (Map<String, Object>) new Json(line).value();
        if (m.containsKey("case")) m = (Map<String, Object>) m.get("case");
        Gen.Case c = new Gen.Case();
        c.peer = (String) m.get("peer");
        c.tls = Boolean.TRUE.equals(m.get("tls"));
        if (m.containsKey("trust_proxy")) { c.trustProxySet = true; c.trustProxy = (String) m.get("trust_proxy"); }
        for (Object h : (List<Object>) m.getOrDefault("headers", List.of())) {
            List<Object> l = (List<Object>) h;
            c.headers.add(new String[] {(String) l.get(0), (String) l.get(1)});
        }
        for (Map.Entry<String, Object> e : ((Map<String, Object>) m.getOrDefault("options", Map.of())).entrySet()) {
            c.options.put(e.getKey(), (String) e.getValue());
        }
        return c;
    }

    private final String s;
    private int i;

    private Json(String s) { this.s = s; }

    private void ws() { while (i < s.length() && Character.isWhitespace(s.charAt(i))) i++; }

    private Object value() {
        ws();
        char c = s.charAt(i);
        if (c == '{') {
            Map<String, Object> m = new LinkedHashMap<>();
            i++; ws();
            if (s.charAt(i) == '}') { i++; return m; }
            while (true) {
                ws(); String k = (String) value(); ws(); i++; // ':'
                m.put(k, value()); ws();
                if (s.charAt(i++) == '}') return m;
            }
        }
        if (c == '[') {
            List<Object> l = new ArrayList<>();
            i++; ws();
            if (s.charAt(i) == ']') { i++; return l; }
            while (true) {
                l.add(value()); ws();
                if (s.charAt(i++) == ']') return l;
            }
        }
        if (c == '"') {
            StringBuilder b = new StringBuilder();
            i++;
            while (true) {
                char d = s.charAt(i++);
                if (d == '"') return b.toString();
                if (d != '\\') { b.append(d); continue; }
                char e = s.charAt(i++);
                switch (e) {
                    case 'n': b.append('\n'); break;
                    case 'r': b.append('\r'); break;
                    case 't': b.append('\t'); break;
                    case 'b': b.append('\b'); break;
                    case 'f': b.append('\f'); break;
                    case 'u': b.append((char) Integer.parseInt(s.substring(i, i + 4), 16)); i += 4; break;
                    default: b.append(e);
                }
            }
        }
        int start = i;
        while (i < s.length() && "{}[],: \t\r\n".indexOf(s.charAt(i)) < 0) i++;
        String t = s.substring(start, i);
        switch (t) {
            case "true": return Boolean.TRUE;
            case "false": return Boolean.FALSE;
            case "null": return null;
            default: return Double.valueOf(t);
        }
    }
}
