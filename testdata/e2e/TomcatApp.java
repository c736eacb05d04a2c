// The end-to-end suite's Spring Boot app server (e2e/apps_jvm.go): one
// embedded Tomcat 10.1 (Debian's libtomcat10-java) for the whole suite, to
// which each spring-boot app of a topology is added as its own connectors.
// An engine valve runs, for the connector a request arrived on, the
// RemoteIpValve that Spring Boot 3.5's
// TomcatWebServerFactoryCustomizer.customizeRemoteIpValve builds from the
// app's properties (testdata/vectors/jvm/gen/Gen.java's bootValve, which makes
// the truth vectors), and the servlet writes the accessors as JSON
// (Gen.Accessors). Unlike Gen, the peer is the real socket's.
//
//   java -cp CLASSES:JARS TomcatApp        (compiled with ../vectors/jvm/gen/Gen.java and Json.java)
//
// Commands on stdin, one per line; each is answered on stdout:
//   start ID LISTEN[,LISTEN...] CASE_JSON -> "ready ID" | "error ID MESSAGE"
//   stop ID                               -> "stopped ID"
// CASE_JSON is a simulate --batch case without request: trust_proxy (absent
// for Boot's default) and options, string-valued. MESSAGE is the first line
// of the PatternSyntaxException Boot fails to start with, or why a connector
// did not start. LISTEN is host:port, [v6]:port or *:port (every address).
import java.io.*;
import java.nio.charset.StandardCharsets;
import java.util.*;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.PatternSyntaxException;

import jakarta.servlet.ServletException;
import org.apache.catalina.Context;
import org.apache.catalina.connector.Connector;
import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.Response;
import org.apache.catalina.startup.Tomcat;
import org.apache.catalina.valves.RemoteIpValve;
import org.apache.catalina.valves.ValveBase;

public class TomcatApp {
    /** The app each running connector belongs to. */
    static final Map<Connector, Gen.Case> apps = new ConcurrentHashMap<>();

    /** Runs the RemoteIpValve Boot builds for the request's app, if any. */
    static final class AppValve extends ValveBase {
        AppValve() { super(true); }

        @Override
        public void invoke(Request request, Response response) throws IOException, ServletException {
            RemoteIpValve v = Gen.bootValve(apps.get(request.getConnector()));
            if (v == null) {
                getNext().invoke(request, response);
                return;
            }
            v.setNext(getNext());
            v.invoke(request, response);
        }
    }

    public static void main(String[] args) throws Exception {
        java.util.logging.LogManager.getLogManager().reset();
        File base = new File(System.getProperty("java.io.tmpdir"), "trustcheck-e2e-tomcat-" + ProcessHandle.current().pid());
        Tomcat tomcat = new Tomcat();
        tomcat.setBaseDir(base.getAbsolutePath());
        Context ctx = tomcat.addContext("", base.getAbsolutePath());
        Tomcat.addServlet(ctx, "accessors", new Gen.Accessors());
        ctx.addServletMappingDecoded("/*", "accessors");
        tomcat.getEngine().getPipeline().addValve(new AppValve());
        tomcat.start();

        Map<String, List<Connector>> running = new HashMap<>();
        PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), true, "UTF-8");
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        out.println("tomcat ready");
        for (String line; (line = in.readLine()) != null; ) {
            String[] f = line.split(" ", 4);
            if (f[0].equals("stop")) {
                for (Connector c : running.remove(f[1])) {
                    tomcat.getService().removeConnector(c); // stops it; destroy unbinds the port
                    try {
                        c.destroy();
                    } catch (org.apache.catalina.LifecycleException e) {
                        throw new IllegalStateException(e);
                    }
                    apps.remove(c);
                }
                out.println("stopped " + f[1]);
                continue;
            }
            Gen.Case app = Json.parseCase(f[3]);
            try {
                Gen.bootValve(app);
            } catch (PatternSyntaxException e) {
                out.println("error " + f[1] + " " + e.getDescription() + " near index " + e.getIndex());
                continue;
            }
            List<Connector> cs = new ArrayList<>();
            running.put(f[1], cs);
            try {
                for (String l : f[2].split(",")) {
                    int i = l.lastIndexOf(':');
                    String host = l.substring(0, i).replace("[", "").replace("]", "");
                    Connector c = new Connector("HTTP/1.1");
                    c.setPort(Integer.parseInt(l.substring(i + 1)));
                    if (!host.isEmpty() && !host.equals("*")) c.setProperty("address", host);
                    apps.put(c, app);
                    cs.add(c);
                    tomcat.getService().addConnector(c);
                    if (c.getLocalPort() <= 0) throw new IllegalStateException("connector on " + l + " did not start: " + c.getStateName());
                }
                out.println("ready " + f[1]);
            } catch (RuntimeException e) {
                out.println("error " + f[1] + " " + e);
            }
        }
        tomcat.stop();
        System.exit(0);
    }
}
