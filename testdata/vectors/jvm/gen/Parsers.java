// Truth for trustmodel/jvm's text parsers, straight from the JDK and Tomcat:
// java.util.regex.Pattern.matches (RemoteIpValve's internal-proxies and
// trusted-proxies), org.apache.tomcat.util.http.parser.Host.parse (the Host
// and X-Forwarded-Host check) and java.net.URI's host (Spring's
// ForwardedHeaderFilter). Random inputs from a seed, one JSON line each:
//   {"pattern":P,"subject":S,"matches":B} | {"pattern":P,"error":"<first line of the PatternSyntaxException>"}
//   {"host":H,"colon":N}   (-2: IllegalArgumentException)
//   {"uri_host":H,"server_based":B}
//   java -cp CLASSES:JARS Parsers --seed N --count M
import java.io.*;
import java.util.*;
import java.util.regex.*;

public class Parsers {
    static final String[] ATOMS = {"\\d", "\\.", ".", "[0-9]", "[a-f]", "[^.]", "1", "0", "a", "f", ":", "\\p{XDigit}", "\\s",
        "\\Q1.2\\E", "[\\d.]", "[-a]", "[a-]", "\\w", "\\D", "x", "[0-9a-fA-F:]", "\\:", "\\x41", "\\u0031", "\\t", "[^\\d]", "%"};
    static final String[] QUANTS = {"", "", "", "*", "+", "?", "{1,3}", "{2}", "{2}+", "*?", "{0,}", "{3}"};
    static final String[] BROKEN = {"(", "[", "*", "a{", "a{2", ")", "a)", "+1", "?", "a{3,2}", "(?<n", "x**", "[b-a]", "\\p{Foo}", "a|*"};

    static String pattern(Random r, int depth) {
        StringBuilder b = new StringBuilder();
        int n = 1 + r.nextInt(4);
        for (int i = 0; i < n; i++) {
            if (depth < 2 && r.nextInt(6) == 0) {
                String open = new String[] {"(", "(?:", "(?i)(", "(?<g" + depth + i + ">"}[r.nextInt(4)];
                b.append(open).append(pattern(r, depth + 1));
                if (r.nextInt(3) == 0) b.append('|').append(pattern(r, depth + 1));
                // A quantified group of quantified atoms backtracks
                // exponentially in Java; groups get bounded counts only.
                b.append(')').append(new String[] {"", "", "?", "{2}", "{1,2}"}[r.nextInt(5)]);
            } else {
                b.append(ATOMS[r.nextInt(ATOMS.length)]);
                b.append(QUANTS[r.nextInt(QUANTS.length)]);
            }
        }
        if (depth == 0 && r.nextInt(5) == 0) b.append('|').append(pattern(r, 1));
        if (depth == 0 && r.nextInt(25) == 0) b.append(BROKEN[r.nextInt(BROKEN.length)]);
        return b.toString();
    }

    static final String SUBJECT_CHARS = "0123456789abcdefAF.:x %\t";

    static String subject(Random r) {
        if (r.nextInt(3) == 0) {
            return new String[] {"127.0.0.1", "0:0:0:0:0:0:0:1", "::1", "10.0.0.256", "fe80:0:0:0:0:0:0:1", "fd12:3456:0:0:0:0:0:1",
                "192.168.1.10", "1.2", "", "a", "ff", "1.2.3.4"}[r.nextInt(12)];
        }
        StringBuilder b = new StringBuilder();
        int n = r.nextInt(9);
        for (int i = 0; i < n; i++) b.append(SUBJECT_CHARS.charAt(r.nextInt(SUBJECT_CHARS.length())));
        return b.toString();
    }

    static final String HOST_CHARS = "ab1290.-:[]_ fF%";

    static String host(Random r) {
        if (r.nextInt(4) == 0) {
            return new String[] {"[::1]:80", "[::ffff:1.2.3.4]", "1.2.3.4:8080", "a.example:", "a.example: 80", "[1:2:3:4:5:6:7:8]",
                "[1:2:3:4:5:6:7:8:9]", "01.2.3.4", "1.2.3.4.", "[::1.2.3.4]", "a-.b", "a.-b", "999.1.1.1:1"}[r.nextInt(13)];
        }
        StringBuilder b = new StringBuilder();
        int n = r.nextInt(12);
        for (int i = 0; i < n; i++) b.append(HOST_CHARS.charAt(r.nextInt(HOST_CHARS.length())));
        return b.toString();
    }

    static boolean tomcatServerName(String h) {
        try {
            return org.apache.tomcat.util.http.parser.Host.parse(h) == -1;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    public static void main(String[] args) throws Exception {
        long seed = 1;
        int count = 3000;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--seed")) seed = Long.parseLong(args[++i]);
            else if (args[i].equals("--count")) count = Integer.parseInt(args[++i]);
        }
        Random r = new Random(seed);
        PrintStream out = new PrintStream(new BufferedOutputStream(new FileOutputStream(FileDescriptor.out)), false, "UTF-8");
        for (int i = 0; i < count; i++) {
            switch (i % 3) {
                case 0: {
                    String p = pattern(r, 0);
                    try {
                        Pattern c = Pattern.compile(p);
                        for (int k = 0; k < 3; k++) {
                            String s = subject(r);
                            out.println("{\"pattern\":" + Json.str(p) + ",\"subject\":" + Json.str(s) + ",\"matches\":" + c.matcher(s).matches() + "}");
                        }
                    } catch (PatternSyntaxException e) {
                        out.println("{\"pattern\":" + Json.str(p) + ",\"error\":" + Json.str(e.getDescription() + " near index " + e.getIndex()) + "}");
                    }
                    break;
                }
                case 1: {
                    String h = host(r);
                    int colon;
                    try {
                        colon = org.apache.tomcat.util.http.parser.Host.parse(h);
                    } catch (IllegalArgumentException e) {
                        colon = -2;
                    }
                    out.println("{\"host\":" + Json.str(h) + ",\"colon\":" + colon + "}");
                    break;
                }
                default: {
                    // Only names Tomcat lets through reach java.net.URI as a server name.
                    String h;
                    do {
                        h = host(r);
                    } while (!tomcatServerName(h));
                    boolean server;
                    try {
                        server = new java.net.URI("http://" + h + ":8080/").getHost() != null;
                    } catch (java.net.URISyntaxException e) {
                        server = false;
                    }
                    out.println("{\"uri_host\":" + Json.str(h) + ",\"server_based\":" + server + "}");
                }
            }
        }
        out.flush();
    }
}
