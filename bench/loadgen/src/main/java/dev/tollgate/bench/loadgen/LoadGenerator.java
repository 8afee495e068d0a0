package dev.tollgate.bench.loadgen;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Command line entry: {@code loadgen --url … [options]} runs one load run and prints its JSON line
 * then its human line on stdout; {@code loadgen table FILE} prints runs side by side. Exit status:
 * 0 when the run had no errors, 1 when some requests failed, 2 on a bad command line.
 */
public final class LoadGenerator {

  private LoadGenerator() {}

  public static void main(String[] args) throws Exception {
    if (args.length > 0 && args[0].equals("table")) {
      System.exit(table(args));
    }
    LoadSpec spec;
    try {
      spec = LoadSpec.parse(args);
    } catch (LoadSpec.UsageException e) {
      if (!e.getMessage().isEmpty()) {
        System.err.println("loadgen: " + e.getMessage());
      }
      System.err.print(LoadSpec.USAGE);
      System.exit(e.getMessage().isEmpty() ? 0 : 2);
      return;
    }
    RunResult result = LoadRun.execute(spec);
    String json = result.toJson().encode();
    System.out.println(json);
    System.out.println(result.toHumanLine());
    if (spec.jsonOut() != null) {
      Files.writeString(
          spec.jsonOut(),
          json + "\n",
          StandardCharsets.UTF_8,
          StandardOpenOption.CREATE,
          StandardOpenOption.APPEND);
    }
    if (result.measurements().firstError() != null) {
      System.err.println("loadgen: first error: " + result.measurements().firstError());
    }
    System.exit(result.measurements().errorCount() == 0 ? 0 : 1);
  }

  private static int table(String[] args) throws IOException {
    List<String> files = new ArrayList<>();
    String baseline = null;
    for (int i = 1; i < args.length; i++) {
      if (args[i].equals("--baseline") && i + 1 < args.length) {
        baseline = args[++i];
      } else {
        files.add(args[i]);
      }
    }
    if (files.isEmpty()) {
      System.err.print(LoadSpec.USAGE);
      return 2;
    }
    List<String> lines = new ArrayList<>();
    for (String file : files) {
      lines.addAll(Files.readAllLines(Path.of(file), StandardCharsets.UTF_8));
    }
    try {
      System.out.print(new ComparisonTable(lines, baseline).render());
    } catch (IllegalArgumentException e) {
      System.err.println("loadgen table: " + e.getMessage());
      return 2;
    }
    return 0;
  }
}
