// A real metadata request to the local broker: `kafka.sh start` and `status` call it so that "ready" means the
// broker answers a client (DescribeCluster lists a broker and a controller), not merely that a port is open.
// Run from source by Java 17's launcher (no build step): java -cp "$LIBS/*" MetadataCheck.java HOST:PORT [MS]
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterResult;

public class MetadataCheck {
    public static void main(String[] args) throws Exception {
        int timeoutMs = args.length > 1 ? Integer.parseInt(args[1]) : 5000;
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, timeoutMs);
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, timeoutMs);
        try (Admin admin = Admin.create(props)) {
            DescribeClusterResult cluster = admin.describeCluster();
            int brokers = cluster.nodes().get(timeoutMs, TimeUnit.MILLISECONDS).size();
            boolean controller = cluster.controller().get(timeoutMs, TimeUnit.MILLISECONDS) != null;
            if (brokers == 0 || !controller) {
                System.err.println("metadata: no broker or no controller yet");
                System.exit(1);
            }
            System.out.println("metadata: " + brokers + " broker(s)");
        } catch (Exception e) {
            System.err.println("metadata: " + e.getClass().getSimpleName());
            System.exit(1);
        }
    }
}
