// Truth vectors for trustcheck's spring-boot "native" evaluator: each case is
// sent over a real socket (plain or TLS) to an embedded Tomcat 10.1 (Debian's
// libtomcat10-java) whose engine pipeline holds the RemoteIpValve that Spring
// Boot 3.5's TomcatWebServerFactoryCustomizer.customizeRemoteIpValve builds from
// the case's properties; a servlet records the accessors after the valve.
//
//   java -cp CLASSES:JARS Gen --keystore KS.p12 --seed N --count M   > vectors.jsonl
//   java -cp CLASSES:JARS Gen --keystore KS.p12 --cases FILE         (one case or {"case":...} per line)
//
// Only the socket peer cannot travel over loopback: CaseValve, ahead of the
// RemoteIpValve, sets it from the case the way NioEndpoint reports a peer
// (InetAddress.getHostAddress of the literal).
import java.io.*;
import java.net.*;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.util.*;
import java.util.regex.PatternSyntaxException;
import javax.net.ssl.*;

import jakarta.servlet.ServletException;
import jakarta.servlet.http.*;
import org.apache.catalina.Context;
import org.apache.catalina.connector.Connector;
import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.Response;
import org.apache.catalina.startup.Tomcat;
import org.apache.catalina.valves.RemoteIpValve;
import org.apache.catalina.valves.ValveBase;
import org.apache.tomcat.util.net.SSLHostConfig;
import org.apache.tomcat.util.net.SSLHostConfigCertificate;

public class Gen {
    static final String P = "server.tomcat.remoteip.";

    /** One case: the simulate --batch input. */
    static final class Case {
        String trustProxy; // null: not set
        boolean trustProxySet;
        String peer;
        boolean tls;
        List<String[]> headers = new ArrayList<>();
        LinkedHashMap<String, String> options = new LinkedHashMap<>();

        String json() {
            StringBuilder b = new StringBuilder("{\"framework\":\"spring-boot\",\"version\":\"3\"");
            if (trustProxySet) b.append(",\"trust_proxy\":").append(Json.str(trustProxy));
            b.append(",\"peer\":").append(Json.str(peer)).append(",\"tls\":").append(tls).append(",\"headers\":[");
            for (int i = 0; i < headers.size(); i++) {
                if (i > 0) b.append(',');
                b.append('[').append(Json.str(headers.get(i)[0])).append(',').append(Json.str(headers.get(i)[1])).append(']');
            }
            b.append(']');
            if (!options.isEmpty()) {
                b.append(",\"options\":{");
                int i = 0;
                for (Map.Entry<String, String> e : options.entrySet()) {
                    if (i++ > 0) b.append(',');
                    b.append(Json.str(e.getKey())).append(':').append(Json.str(e.getValue()));
                }
                b.append('}');
            }
            return b.append('}').toString();
        }
    }

    static final Map<Integer, Case> inFlight = new HashMap<>();

    /**
     * Spring Boot 3.5 customizeRemoteIpValve: the valve exists when protocol-header or
     * remote-ip-header has text or the strategy is NATIVE; null means no valve.
     */
    static RemoteIpValve bootValve(Case c) {
        Map<String, String> o = c.options;
        String strategy = o.get("server.forward-headers-strategy");
        String protocolHeader = o.get(P + "protocol-header");
        String remoteIpHeader = o.get(P + "remote-ip-header");
        boolean nativeStrategy = strategy != null && strategy.equalsIgnoreCase("native");
        if (!hasText(protocolHeader) && !hasText(remoteIpHeader) && !nativeStrategy) return null;
        RemoteIpValve v = new RemoteIpValve();
        v.setProtocolHeader(protocolHeader != null && !protocolHeader.isEmpty() ? protocolHeader : "X-Forwarded-Proto");
        if (remoteIpHeader != null && !remoteIpHeader.isEmpty()) v.setRemoteIpHeader(remoteIpHeader);
        v.setTrustedProxies(o.get(P + "trusted-proxies"));
        v.setInternalProxies(c.trustProxySet ? c.trustProxy : BOOT_INTERNAL_PROXIES);
        v.setHostHeader(o.getOrDefault(P + "host-header", "X-Forwarded-Host"));
        v.setPortHeader(o.getOrDefault(P + "port-header", "X-Forwarded-Port"));
        v.setProtocolHeaderHttpsValue(o.getOrDefault(P + "protocol-header-https-value", "https"));
        return v;
    }

    // Boot 3.5's ServerProperties.Tomcat.Remoteip.internalProxies default
    // (spring-boot v3.5.16 ServerProperties.java:1069-1083), the same text as
    // Tomcat 10.1.40+'s RemoteIpValve default.
    static final String BOOT_INTERNAL_PROXIES = "10\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}|"
            + "192\\.168\\.\\d{1,3}\\.\\d{1,3}|"
            + "169\\.254\\.\\d{1,3}\\.\\d{1,3}|"
            + "127\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}|"
            + "100\\.6[4-9]{1}\\.\\d{1,3}\\.\\d{1,3}|"
            + "100\\.[7-9]{1}\\d{1}\\.\\d{1,3}\\.\\d{1,3}|"
            + "100\\.1[0-1]{1}\\d{1}\\.\\d{1,3}\\.\\d{1,3}|"
            + "100\\.12[0-7]{1}\\.\\d{1,3}\\.\\d{1,3}|"
            + "172\\.1[6-9]{1}\\.\\d{1,3}\\.\\d{1,3}|"
            + "172\\.2[0-9]{1}\\.\\d{1,3}\\.\\d{1,3}|"
            + "172\\.3[0-1]{1}\\.\\d{1,3}\\.\\d{1,3}|"
            + "0:0:0:0:0:0:0:1|"
            + "::1|"
            + "fe[89ab]\\p{XDigit}:.*|"
            + "f[cd]\\p{XDigit}{2}+:.*";

    static boolean hasText(String s) {
        if (s == null) return false;
        for (int i = 0; i < s.length(); i++) if (!Character.isWhitespace(s.charAt(i))) return true;
        return false;
    }

    /** Sets the case's peer, then runs the case's RemoteIpValve (if Boot makes one). */
    static final class CaseValve extends ValveBase {
        CaseValve() { super(true); }

        @Override
        public void invoke(Request request, Response response) throws IOException, ServletException {
            int id = Integer.parseInt(request.getHeader("x-trustcheck-case"));
            request.getCoyoteRequest().getMimeHeaders().removeHeader("x-trustcheck-case");
            Case c;
            synchronized (inFlight) { c = inFlight.get(id); }
            String peer = InetAddress.getByName(c.peer).getHostAddress();
            request.setRemoteAddr(peer);
            request.setRemoteHost(peer);
            RemoteIpValve v = bootValve(c);
            if (v == null) {
                getNext().invoke(request, response);
                return;
            }
            v.setNext(getNext());
            v.invoke(request, response);
        }
    }

    static final class Accessors extends HttpServlet {
        @Override
        protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
            String name = req.getServerName();
            String out = "{\"ip\":" + Json.str(req.getRemoteAddr()) + ",\"ips\":null,\"protocol\":" + Json.str(req.getScheme())
                    + ",\"secure\":" + req.isSecure() + ",\"host\":" + Json.str(name + ":" + req.getServerPort())
                    + ",\"hostname\":" + Json.str(name) + "}";
            resp.setContentType("application/json");
            resp.setCharacterEncoding("UTF-8");
            resp.getWriter().write(out);
        }
    }

    static int plainPort, tlsPort;
    static SSLSocketFactory trustAll;

    static void start(String keystore) throws Exception {
        File base = new File(System.getProperty("java.io.tmpdir"), "trustcheck-jvm-gen-" + ProcessHandle.current().pid());
        Tomcat tomcat = new Tomcat();
        tomcat.setBaseDir(base.getAbsolutePath());
        Connector plain = new Connector("HTTP/1.1");
        plain.setPort(0);
        plain.setProperty("address", "127.0.0.1");
        tomcat.getService().addConnector(plain);
        tomcat.setConnector(plain);
        Connector tls = new Connector("HTTP/1.1");
        tls.setPort(0);
        tls.setProperty("address", "127.0.0.1");
        tls.setSecure(true);
        tls.setScheme("https");
        tls.setProperty("SSLEnabled", "true");
        SSLHostConfig hc = new SSLHostConfig();
        SSLHostConfigCertificate cert = new SSLHostConfigCertificate(hc, SSLHostConfigCertificate.Type.UNDEFINED);
        cert.setCertificateKeystoreFile(keystore);
        cert.setCertificateKeystorePassword("changeit");
        cert.setCertificateKeystoreType("PKCS12");
        hc.addCertificate(cert);
        tls.addSslHostConfig(hc);
        tomcat.getService().addConnector(tls);
        Context ctx = tomcat.addContext("", base.getAbsolutePath());
        Tomcat.addServlet(ctx, "accessors", new Accessors());
        ctx.addServletMappingDecoded("/*", "accessors");
        tomcat.getEngine().getPipeline().addValve(new CaseValve());
        tomcat.start();
        plainPort = plain.getLocalPort();
        tlsPort = tls.getLocalPort();
        SSLContext sc = SSLContext.getInstance("TLS");
        sc.init(null, new TrustManager[] {new X509TrustManager() {
            public void checkClientTrusted(X509Certificate[] c, String a) {}
            public void checkServerTrusted(X509Certificate[] c, String a) {}
            public X509Certificate[] getAcceptedIssuers() { return new X509Certificate[0]; }
        }}, new SecureRandom());
        trustAll = sc.getSocketFactory();
    }

    static int nextId;

    /** The want line for c: the accessors, or the error Boot fails to start with. */
    static String evaluate(Case c) throws Exception {
        try {
            bootValve(c);
        } catch (PatternSyntaxException e) {
            return "{\"error\":" + Json.str(e.getDescription() + " near index " + e.getIndex()) + "}";
        }
        int id = nextId++;
        synchronized (inFlight) { inFlight.put(id, c); }
        Socket s = c.tls ? trustAll.createSocket("127.0.0.1", tlsPort) : new Socket("127.0.0.1", plainPort);
        try (s) {
            StringBuilder req = new StringBuilder("GET / HTTP/1.0\r\nX-Trustcheck-Case: " + id + "\r\n");
            for (String[] h : c.headers) req.append(h[0]).append(": ").append(h[1]).append("\r\n");
            req.append("\r\n");
            s.getOutputStream().write(req.toString().getBytes(StandardCharsets.ISO_8859_1));
            s.getOutputStream().flush();
            String resp = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!resp.startsWith("HTTP/1.1 200")) throw new IllegalStateException("Tomcat refused " + c.json() + ":\n" + resp);
            return resp.substring(resp.indexOf("\r\n\r\n") + 4);
        } finally {
            synchronized (inFlight) { inFlight.remove(id); }
        }
    }

    // ---- cases -------------------------------------------------------------

    static final String[] PEERS = {"127.0.0.1", "::1", "10.0.0.7", "192.168.1.2", "172.16.5.4", "172.31.255.1", "172.32.0.1",
        "100.64.0.1", "100.127.3.3", "100.128.0.1", "169.254.1.1", "203.0.113.9", "8.8.8.8", "fe80::1", "fc00::5",
        "fd12:3456::1", "2001:db8::1", "::ffff:127.0.0.1", "::ffff:203.0.113.9", "0.0.0.0", "::", "127.255.255.254", "febf::9"};
    static final String[] XFF = {"1.1.1.1", "203.0.113.50", "10.0.0.2", "192.168.0.9", "127.0.0.1", "172.20.0.3", "100.100.1.1",
        "::1", "0:0:0:0:0:0:0:1", "2001:db8::7", "fe80::2", "fd00::1", "FD00::1", "::ffff:10.0.0.1", "unknown", "garbage",
        "", " ", "1.2.3.4:5678", "[2001:db8::1]:80", "10.0.0.256", "10.1.2.3.4", "999.1.1.1", "fe80::1%eth0", "8.8.8.8",
        "_hidden", "192.168.1.1 ", "127.1", "1.1.1.1;x", "FE80::A"};
    static final String[] XFP = {"https", "http", "HTTPS", "https, http", "https,https", "http, https", "wss", "on", "HtTpS",
        "https ,  https", ",", "https,", ""};
    static final String[] XFH = {"b.example", "b.example:9443", "[::1]:99", "[::1]", "B.Example", "b.example:abc", "bad host",
        "b.example, c.example", "", "10.0.0.1:8080", "b.example:", "b_x.example", "xn--bcher-kva.example", "b.example:99999999999"};
    static final String[] XFPORT = {"8443", "443", "80", "abc", "-1", "99999999999", "+80", "0", "", "8080, 9090"};
    static final String[] HOSTS = {"a.example", "a.example:8443", "A.Example", "[::1]:8080", "127.0.0.1", "127.0.0.1:80",
        "a.example:443", "[2001:db8::1]", "localhost:3000"};
    static final String[] INTERNAL = {"127\\.0\\.0\\.1", "10\\.\\d+\\.\\d+\\.\\d+", "", ".*", "127\\.0\\.0\\.1|0:0:0:0:0:0:0:1",
        "192\\.168\\.1\\.\\d{1,3}", "(?i)FE80:.*", "\\Q127.0.0.1\\E", "127\\..*|::1", "10\\.0\\.0\\.7", "172\\.(1[6-9]|2\\d|3[01])\\..*",
        "[0-9.]+", "\\d{1,3}(\\.\\d{1,3}){3}", "(", "[", "*", "127.0.0.1", "0:0:0:0:0:0:0:1"};
    static final String[] TRUSTED = {"203\\.0\\.113\\.\\d+", ".*", "8\\.8\\.8\\.8", "", "1\\.1\\.1\\.1|unknown", "2001:db8:.*"};
    static final String[] NAMES_XFF = {"X-Forwarded-For", "x-forwarded-for", "X-FORWARDED-FOR"};

    static <T> T pick(Random r, T[] a) { return a[r.nextInt(a.length)]; }

    static Case randomCase(Random r) {
        Case c = new Case();
        c.peer = pick(r, PEERS);
        c.tls = r.nextInt(3) == 0;
        c.headers.add(new String[] {"Host", pick(r, HOSTS)});
        int n = r.nextInt(4);
        for (int i = 0; i < n; i++) {
            StringBuilder v = new StringBuilder();
            int k = 1 + r.nextInt(4);
            for (int j = 0; j < k; j++) {
                if (j > 0) v.append(r.nextInt(3) == 0 ? "," : ", ");
                v.append(pick(r, XFF));
            }
            c.headers.add(new String[] {pick(r, NAMES_XFF), v.toString()});
        }
        addSome(r, c, "X-Forwarded-Proto", XFP, 3);
        addSome(r, c, "X-Forwarded-Host", XFH, 4);
        addSome(r, c, "X-Forwarded-Port", XFPORT, 4);
        addSome(r, c, "X-Real-IP", XFF, 6);
        addSome(r, c, "X-Forwarded-Ssl", new String[] {"on", "off"}, 6);
        addSome(r, c, "Forwarded", new String[] {"for=9.9.9.9;proto=https;host=f.example"}, 8);
        if (c.headers.size() > 2) Collections.shuffle(c.headers.subList(1, c.headers.size()), r);
        switch (r.nextInt(8)) {
            case 0: break; // no strategy: the valve only when a header property has text
            case 1: c.options.put("server.forward-headers-strategy", "none"); break;
            case 2: c.options.put("server.forward-headers-strategy", "NATIVE"); break;
            default: c.options.put("server.forward-headers-strategy", "native");
        }
        if (r.nextInt(3) == 0) { c.trustProxySet = true; c.trustProxy = pick(r, INTERNAL); }
        if (r.nextInt(5) == 0) c.options.put(P + "trusted-proxies", pick(r, TRUSTED));
        if (r.nextInt(7) == 0) c.options.put(P + "remote-ip-header", pick(r, new String[] {"X-Real-IP", "x-forwarded-for", "", " "}));
        if (r.nextInt(7) == 0) c.options.put(P + "protocol-header", pick(r, new String[] {"X-Forwarded-Ssl", "", "x-forwarded-proto", " "}));
        if (r.nextInt(7) == 0) c.options.put(P + "protocol-header-https-value", pick(r, new String[] {"on", "HTTPS", "", "https, https"}));
        if (r.nextInt(7) == 0) c.options.put(P + "host-header", pick(r, new String[] {"", "X-Real-IP", "x-forwarded-host"}));
        if (r.nextInt(7) == 0) c.options.put(P + "port-header", pick(r, new String[] {"", "X-Real-IP", "x-forwarded-port"}));
        return c;
    }

    static void addSome(Random r, Case c, String name, String[] values, int oneIn) {
        if (r.nextInt(oneIn) != 0) return;
        int n = 1 + (r.nextInt(4) == 0 ? 1 : 0);
        for (int i = 0; i < n; i++) c.headers.add(new String[] {name, pick(r, values)});
    }

    static Case handCase(String peer, boolean tls, String trust, String[][] headers, String... opts) {
        Case c = new Case();
        c.peer = peer;
        c.tls = tls;
        if (trust != null) { c.trustProxySet = true; c.trustProxy = trust; }
        for (String[] h : headers) c.headers.add(h);
        for (int i = 0; i + 1 < opts.length; i += 2) c.options.put(opts[i], opts[i + 1]);
        return c;
    }

    static List<Case> handPicked() {
        List<Case> out = new ArrayList<>();
        String[] strategies = {null, "none", "native", "NATIVE"};
        String[][] hs = {
            {"Host", "a.example"},
            {"Host", "a.example"}, {"X-Forwarded-For", "6.6.6.6, 10.0.0.2"},
        };
        for (String st : strategies) {
            for (String peer : PEERS) {
                for (boolean tls : new boolean[] {false, true}) {
                    List<String> o = new ArrayList<>();
                    if (st != null) { o.add("server.forward-headers-strategy"); o.add(st); }
                    String[] opts = o.toArray(new String[0]);
                    out.add(handCase(peer, tls, null, new String[][] {{"Host", "a.example"}, {"X-Forwarded-For", "6.6.6.6, 10.0.0.2"},
                        {"X-Forwarded-Proto", "https"}, {"X-Forwarded-Host", "b.example:8443"}, {"X-Forwarded-Port", "8443"}}, opts));
                    out.add(handCase(peer, tls, null, new String[][] {{"Host", "a.example:8080"}, {"X-Forwarded-Proto", "http"}}, opts));
                }
            }
        }
        for (String v : XFF) {
            out.add(handCase("127.0.0.1", false, null, new String[][] {{"Host", "a.example"}, {"X-Forwarded-For", v}},
                "server.forward-headers-strategy", "native"));
            out.add(handCase("10.0.0.1", false, null, new String[][] {{"Host", "a.example"}, {"X-Forwarded-For", v + ", 10.0.0.3"}},
                "server.forward-headers-strategy", "native"));
        }
        for (String v : XFP) {
            for (boolean tls : new boolean[] {false, true}) {
                out.add(handCase("127.0.0.1", tls, null, new String[][] {{"Host", "a.example"}, {"X-Forwarded-Proto", v}},
                    "server.forward-headers-strategy", "native"));
            }
            out.add(handCase("127.0.0.1", false, null, new String[][] {{"Host", "a.example"}, {"X-Forwarded-Proto", "https"}, {"X-Forwarded-Proto", v}},
                "server.forward-headers-strategy", "native"));
        }
        for (String v : XFH) {
            out.add(handCase("127.0.0.1", false, null, new String[][] {{"Host", "a.example:81"}, {"X-Forwarded-Host", v}},
                "server.forward-headers-strategy", "native"));
        }
        for (String v : XFPORT) {
            out.add(handCase("127.0.0.1", false, null, new String[][] {{"Host", "a.example:81"}, {"X-Forwarded-Port", v}, {"X-Forwarded-Proto", "https"}},
                "server.forward-headers-strategy", "native"));
            out.add(handCase("127.0.0.1", false, null, new String[][] {{"Host", "a.example:81"}, {"X-Forwarded-Port", v}},
                "server.forward-headers-strategy", "native"));
        }
        for (String h : HOSTS) {
            for (boolean tls : new boolean[] {false, true}) {
                out.add(handCase("203.0.113.9", tls, null, new String[][] {{"Host", h}}, "server.forward-headers-strategy", "native"));
            }
        }
        for (String t : INTERNAL) {
            for (String peer : new String[] {"127.0.0.1", "::1", "10.0.0.7", "fe80::1"}) {
                out.add(handCase(peer, false, t, new String[][] {{"Host", "a.example"}, {"X-Forwarded-For", "1.1.1.1, 127.0.0.1, 0:0:0:0:0:0:0:1"}},
                    "server.forward-headers-strategy", "native"));
            }
        }
        for (String t : TRUSTED) {
            out.add(handCase("203.0.113.9", false, null, new String[][] {{"Host", "a.example"}, {"X-Forwarded-For", "1.1.1.1, 8.8.8.8, unknown"}},
                "server.forward-headers-strategy", "native", P + "trusted-proxies", t));
        }
        // The valve without the native strategy: protocol-header or remote-ip-header with text.
        out.add(handCase("127.0.0.1", false, null, new String[][] {{"Host", "a.example"}, {"X-Forwarded-For", "6.6.6.6"}, {"X-Forwarded-Proto", "https"}},
            P + "protocol-header", "X-Forwarded-Proto"));
        out.add(handCase("127.0.0.1", false, null, new String[][] {{"Host", "a.example"}, {"X-Real-IP", "6.6.6.6"}},
            "server.forward-headers-strategy", "none", P + "remote-ip-header", "X-Real-IP"));
        out.add(handCase("127.0.0.1", false, null, new String[][] {{"Host", "a.example"}, {"X-Forwarded-For", "6.6.6.6"}},
            P + "remote-ip-header", " "));
        out.add(handCase("127.0.0.1", false, null, new String[][] {{"Host", "a.example"}, {"X-Forwarded-Ssl", "on"}},
            P + "protocol-header", "X-Forwarded-Ssl", P + "protocol-header-https-value", "on"));
        // Several X-Forwarded-For lines are joined with ", ".
        out.add(handCase("127.0.0.1", false, null, new String[][] {{"Host", "a.example"}, {"X-Forwarded-For", "1.1.1.1"}, {"X-Forwarded-For", "10.0.0.1, 2.2.2.2"}},
            "server.forward-headers-strategy", "native"));
        out.add(handCase("127.0.0.1", false, null, new String[][] {{"Host", "a.example"}, {"X-Forwarded-Host", "b.example"}, {"X-Forwarded-Host", "c.example"}},
            "server.forward-headers-strategy", "native"));
        return out;
    }

    public static void main(String[] args) throws Exception {
        String keystore = null, casesFile = null;
        long seed = 1;
        int count = 2000;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--keystore": keystore = args[++i]; break;
                case "--seed": seed = Long.parseLong(args[++i]); break;
                case "--count": count = Integer.parseInt(args[++i]); break;
                case "--cases": casesFile = args[++i]; break;
                default: throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        java.util.logging.LogManager.getLogManager().reset();
        if (!BOOT_INTERNAL_PROXIES.equals(new RemoteIpValve().getInternalProxies())) {
            System.err.println("Gen: note: Boot 3.5's internal-proxies default differs from this Tomcat's RemoteIpValve default");
        }
        start(keystore);
        PrintStream out = new PrintStream(new BufferedOutputStream(new FileOutputStream(FileDescriptor.out)), false, "UTF-8");
        if (casesFile != null) {
            for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of(casesFile))) {
                if (line.isBlank()) continue;
                Case c = Json.parseCase(line);
                out.println("{\"case\":" + c.json() + ",\"want\":" + evaluate(c) + "}");
            }
        } else {
            List<Case> cases = handPicked();
            Random r = new Random(seed);
            while (cases.size() < count) cases.add(randomCase(r));
            for (Case c : cases.subList(0, count)) out.println("{\"case\":" + c.json() + ",\"want\":" + evaluate(c) + "}");
        }
        out.flush();
        System.exit(0);
    }
}
