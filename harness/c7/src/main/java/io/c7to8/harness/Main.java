package io.c7to8.harness;

import io.c7to8.harness.delegates.GreetingDelegate;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.camunda.bpm.engine.ProcessEngine;
import org.camunda.bpm.engine.ProcessEngineConfiguration;
import org.camunda.bpm.engine.impl.cfg.ProcessEnginePlugin;
import org.camunda.bpm.engine.impl.cfg.StandaloneProcessEngineConfiguration;
import org.camunda.bpm.engine.impl.persistence.StrongUuidGenerator;
import org.camunda.spin.plugin.impl.SpinProcessEnginePlugin;
import org.apache.ibatis.datasource.pooled.PooledDataSource;

/**
 * c7to8 harness: boots a standalone Camunda 7 engine on the given database, deploys the scenario
 * models and plays the scenarios, leaving instances in well-defined states. Prints a JSON summary.
 */
public final class Main {
  private Main() {}

  static final class Options {
    String jdbcUrl;
    String user = "";
    String password = "";
    String scenarios = "all";
    Integer instances;
    String idGenerator = "db";
    String historyLevel = ProcessEngineConfiguration.HISTORY_FULL;
    Path summaryFile;
  }

  private static final String USAGE =
      "usage: java -jar c7-harness.jar --jdbc-url URL --user U --password P"
          + " [--scenarios all|name,name] [--instances N] [--id-generator db|uuid]"
          + " [--history-level full|audit|activity] [--summary-file out.json]\n"
          + "scenarios: " + String.join(",", Harness.ALL) + ",bench";

  static Options parse(String[] args) {
    Options o = new Options();
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (a.equals("--help") || a.equals("-h")) {
        System.out.println(USAGE);
        System.exit(0);
      }
      String val;
      String key = a;
      int eq = a.indexOf('=');
      if (a.startsWith("--") && eq > 0) {
        key = a.substring(0, eq);
        val = a.substring(eq + 1);
      } else {
        if (i + 1 >= args.length) {
          throw new IllegalArgumentException("missing value for " + a + "\n" + USAGE);
        }
        val = args[++i];
      }
      switch (key) {
        case "--jdbc-url" -> o.jdbcUrl = val;
        case "--user" -> o.user = val;
        case "--password" -> o.password = val;
        case "--scenarios" -> o.scenarios = val;
        case "--instances" -> o.instances = Integer.parseInt(val);
        case "--id-generator" -> {
          if (!val.equals("db") && !val.equals("uuid")) {
            throw new IllegalArgumentException("--id-generator must be db or uuid");
          }
          o.idGenerator = val;
        }
        case "--history-level" -> {
          // "none" is not offered: the zoo scenario restarts an instance, which needs its history
          if (!List.of("full", "audit", "activity").contains(val)) {
            throw new IllegalArgumentException("--history-level must be full, audit or activity");
          }
          o.historyLevel = val;
        }
        case "--summary-file" -> o.summaryFile = Path.of(val);
        default -> throw new IllegalArgumentException("unknown option " + a + "\n" + USAGE);
      }
    }
    if (o.jdbcUrl == null) {
      throw new IllegalArgumentException("--jdbc-url is required\n" + USAGE);
    }
    return o;
  }

  static String driverFor(String url) {
    if (url.startsWith("jdbc:postgresql:")) {
      return "org.postgresql.Driver";
    } else if (url.startsWith("jdbc:mariadb:")) {
      return "org.mariadb.jdbc.Driver";
    } else if (url.startsWith("jdbc:mysql:")) {
      return "com.mysql.cj.jdbc.Driver";
    } else if (url.startsWith("jdbc:h2:")) {
      return "org.h2.Driver";
    }
    throw new IllegalArgumentException("unsupported JDBC URL: " + url);
  }

  /**
   * Connection URL tweaks for MariaDB/MySQL. mariadb-java-client 3 reports the product name 'MariaDB',
   * which the engine does not map; with useMysqlMetadata it reports 'MySQL' and the engine recognises
   * MariaDB from the version string. nullDatabaseMeansCurrent keeps the engine's "are the tables
   * there?" metadata lookup inside the target database (otherwise any database on the server counts).
   */
  static String connectionUrl(String url) {
    String out = url;
    if (url.startsWith("jdbc:mariadb:") && !out.contains("useMysqlMetadata")) {
      out = out + (out.contains("?") ? "&" : "?") + "useMysqlMetadata=true";
    }
    if ((url.startsWith("jdbc:mariadb:") || url.startsWith("jdbc:mysql:")) && !out.contains("nullDatabaseMeansCurrent")) {
      out = out + (out.contains("?") ? "&" : "?") + "nullDatabaseMeansCurrent=true";
    }
    return out;
  }

  static ProcessEngine buildEngine(Options o) {
    StandaloneProcessEngineConfiguration cfg = new StandaloneProcessEngineConfiguration();
    cfg.setProcessEngineName("c7to8-harness");
    // Camunda requires READ COMMITTED; MariaDB/MySQL default to REPEATABLE READ, so set it on every pooled connection.
    PooledDataSource ds = new PooledDataSource(Main.class.getClassLoader(), driverFor(o.jdbcUrl),
        connectionUrl(o.jdbcUrl), o.user, o.password);
    ds.setDefaultTransactionIsolationLevel(Connection.TRANSACTION_READ_COMMITTED);
    ds.setPoolMaximumActiveConnections(5);
    cfg.setDataSource(ds);
    cfg.setDatabaseSchemaUpdate(ProcessEngineConfiguration.DB_SCHEMA_UPDATE_TRUE);
    cfg.setHistory(o.historyLevel);
    cfg.setJobExecutorActivate(false);
    cfg.setJavaSerializationFormatEnabled(true);
    // 7.20+ refuses definitions without historyTimeToLive by default; older engines lack the setter
    invokeIfPresent(cfg, "setEnforceHistoryTimeToLive", false);
    cfg.setHistoryRemovalTimeStrategy(ProcessEngineConfiguration.HISTORY_REMOVAL_TIME_STRATEGY_END);
    cfg.setDbMetricsReporterActivate(false);
    cfg.setAuthorizationEnabled(false);
    Map<Object, Object> beans = new HashMap<>();
    beans.put("greetingDelegate", new GreetingDelegate());
    cfg.setBeans(beans);
    List<ProcessEnginePlugin> plugins = new ArrayList<>();
    plugins.add(new SpinProcessEnginePlugin());
    cfg.setProcessEnginePlugins(plugins);
    if (o.idGenerator.equals("uuid")) {
      cfg.setIdGenerator(new StrongUuidGenerator());
    }
    return cfg.buildProcessEngine();
  }

  private static void invokeIfPresent(Object target, String setter, boolean value) {
    try {
      target.getClass().getMethod(setter, boolean.class).invoke(target, value);
    } catch (NoSuchMethodException e) {
      // not available in this engine version
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException(setter + " failed", e);
    }
  }

  public static void main(String[] args) {
    Options o;
    try {
      o = parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println(e.getMessage());
      System.exit(2);
      return;
    }
    int rc = 0;
    ProcessEngine engine = null;
    try {
      long t0 = System.currentTimeMillis();
      engine = buildEngine(o);
      long booted = System.currentTimeMillis();
      Harness harness = new Harness(engine, o);
      Map<String, Object> summary = harness.run();
      summary.put("bootMillis", booted - t0);
      summary.put("totalMillis", System.currentTimeMillis() - t0);
      String json = Json.write(summary);
      if (o.summaryFile != null) {
        Path parent = o.summaryFile.toAbsolutePath().getParent();
        if (parent != null) {
          Files.createDirectories(parent);
        }
        Files.writeString(o.summaryFile, json, StandardCharsets.UTF_8);
      } else {
        System.out.print(json);
        System.out.flush();
      }
    } catch (IOException | RuntimeException e) {
      System.err.println("c7-harness failed: " + e);
      e.printStackTrace(System.err);
      rc = 1;
    } finally {
      if (engine != null) {
        engine.close();
      }
    }
    System.exit(rc);
  }
}
