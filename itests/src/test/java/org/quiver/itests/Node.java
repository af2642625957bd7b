package org.quiver.itests;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs the built distribution's {@code bin/quiver} as a user would, and captures what it prints. */
final class Node {
    /** What one run printed and how it ended. */
    record Result(int exitCode, String out, String err) {
        List<String> lines() {
            return out.isBlank() ? List.of() : List.of(out.strip().split("\\R"));
        }

        @Override
        public String toString() {
            return "exit " + exitCode + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }

    private Node() {
    }

    /**
     * Nodes under test serve /metrics on a free port, not the default 9464, so that several can run at once
     * (a node folder's own conf/org.quiver.metrics.cfg is left alone).
     */
    static void metricsOnAnyPort(String... args) throws IOException {
        for (int i = 0; i + 1 < args.length; i++) {
            if (args[i].equals("--home")) {
                Path conf = Path.of(args[i + 1]).resolve("conf");
                java.nio.file.Files.createDirectories(conf);
                Path cfg = conf.resolve("org.quiver.metrics.cfg");
                if (!java.nio.file.Files.exists(cfg)) {
                    java.nio.file.Files.writeString(cfg, "port = 0\n");
                }
            }
        }
    }

    /** Makes {@code home}'s node bind its endpoint to 127.0.0.1 only (conf/org.quiver.endpoint.cfg); returns {@code home}. */
    static Path onLoopback(Path home) throws IOException {
        java.nio.file.Files.createDirectories(home.resolve("conf"));
        java.nio.file.Files.writeString(home.resolve("conf/org.quiver.endpoint.cfg"), "bindAddress = 127.0.0.1\n");
        return home;
    }

    static Path bin() {
        return NodeBundles.dist().resolve("bin/quiver");
    }

    /** Runs {@code bin/quiver args...} with {@code stdin} as its input; kills it after 60 s. */
    static Result run(String stdin, String... args) throws IOException, InterruptedException {
        return runIn(List.of(), stdin, args);
    }

    /** Runs {@code wrapper... bin/quiver args...} (for example inside a network namespace: ip netns exec NS). */
    static Result runIn(List<String> wrapper, String stdin, String... args) throws IOException, InterruptedException {
        return runIn(wrapper, null, stdin, args);
    }

    /** Runs {@code bin/quiver args...} with {@code folder} as its working folder. */
    static Result runFrom(Path folder, String... args) throws IOException, InterruptedException {
        return runIn(List.of(), folder, null, args);
    }

    /** Runs {@code bin/quiver args...} with {@code env} added to its environment (JAVA_OPTS, for one). */
    static Result runWith(java.util.Map<String, String> env, String... args) throws IOException, InterruptedException {
        return runIn(List.of(), null, env, null, args);
    }

    private static Result runIn(List<String> wrapper, Path folder, String stdin, String... args) throws IOException, InterruptedException {
        return runIn(wrapper, folder, java.util.Map.of(), stdin, args);
    }

    private static Result runIn(List<String> wrapper, Path folder, java.util.Map<String, String> env, String stdin, String... args)
            throws IOException, InterruptedException {
        metricsOnAnyPort(args);
        List<String> command = new ArrayList<>(wrapper);
        command.add(bin().toString());
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command);
        if (folder != null) {
            pb.directory(folder.toFile());
        }
        pb.environment().remove("QUIVER_HOME");
        pb.environment().putAll(env);
        Process p = pb.start();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Thread o = pump(p.getInputStream(), out);
        Thread e = pump(p.getErrorStream(), err);
        try (OutputStream in = p.getOutputStream()) {
            if (stdin != null) {
                in.write(stdin.getBytes(StandardCharsets.UTF_8));
            }
        }
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor();
            o.join(1000);
            e.join(1000);
            throw new AssertionError("bin/quiver " + args + " did not end within 60 s; it printed:\n" + out + "\n" + err);
        }
        o.join();
        e.join();
        return new Result(p.exitValue(), out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** An interactive node: bin/quiver with its shell on a pipe. Closing it ends the input (Ctrl-D). */
    static final class Interactive implements AutoCloseable {
        private final Process process;
        private final OutputStream stdin;
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();
        private final ByteArrayOutputStream err = new ByteArrayOutputStream();

        Interactive(String... args) throws IOException {
            this(List.of(), args);
        }

        /** {@code wrapper... bin/quiver args...}, for example inside a network namespace. */
        Interactive(List<String> wrapper, String... args) throws IOException {
            metricsOnAnyPort(args);
            List<String> command = new ArrayList<>(wrapper);
            command.add(bin().toString());
            command.addAll(List.of(args));
            ProcessBuilder pb = new ProcessBuilder(command);
            pb.environment().remove("QUIVER_HOME");
            process = pb.start();
            stdin = process.getOutputStream();
            pump(process.getInputStream(), out);
            pump(process.getErrorStream(), err);
        }

        /** Types a line into the shell. */
        void type(String line) throws IOException {
            stdin.write((line + "\n").getBytes(StandardCharsets.UTF_8));
            stdin.flush();
        }

        String output() {
            synchronized (out) {
                return out.toString(StandardCharsets.UTF_8);
            }
        }

        String errors() {
            synchronized (err) {
                return err.toString(StandardCharsets.UTF_8);
            }
        }

        /**
         * Types {@code line} every 300 ms until the output that follows contains {@code expected}, for at
         * most {@code seconds}; returns that output.
         */
        String typeUntil(String line, String expected, int seconds) throws IOException, InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            while (System.nanoTime() < deadline) {
                int mark = output().length();
                type(line);
                Thread.sleep(300);
                String since = output().substring(mark);
                if (since.contains(expected)) {
                    return since;
                }
            }
            throw new AssertionError("'" + expected + "' did not appear after typing '" + line + "' for " + seconds
                    + " s; output:\n" + output() + "\nerrors:\n" + errors());
        }

        /**
         * Types {@code line} every 300 ms until a line of what follows (prompts removed) matches {@code regex}, for at
         * most {@code seconds}; returns that line. Unlike {@link #typeUntil}, a prompt printed while the node is
         * still starting is not taken for the answer.
         */
        String answer(String line, String regex, int seconds) throws IOException, InterruptedException {
            java.util.regex.Pattern p = java.util.regex.Pattern.compile(regex);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            while (System.nanoTime() < deadline) {
                int mark = output().length();
                type(line);
                Thread.sleep(300);
                for (String l : output().substring(mark).split("\\R")) {
                    String text = l.replaceFirst("^(quiver> )+", "").strip();
                    if (p.matcher(text).matches()) {
                        return text;
                    }
                }
            }
            throw new AssertionError("no line matching " + regex + " after typing '" + line + "' for " + seconds
                    + " s; output:\n" + output() + "\nerrors:\n" + errors());
        }

        /**
         * Types {@code line} once and waits up to {@code seconds} until a line of what follows (prompts removed)
         * matches {@code regex}; returns everything printed since (prompts removed). For commands that must run only once.
         */
        String typeOnce(String line, String regex, int seconds) throws IOException, InterruptedException {
            java.util.regex.Pattern p = java.util.regex.Pattern.compile(regex);
            int mark = output().length();
            type(line);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            while (System.nanoTime() < deadline) {
                Thread.sleep(20);
                String since = output().substring(mark);
                for (String l : since.split("\\R")) {
                    String text = l.replaceFirst("^(quiver> )+", "").strip();
                    if (p.matcher(text).matches()) {
                        return since.replaceAll("(?m)^(quiver> )+", "");
                    }
                }
            }
            throw new AssertionError("no line matching " + regex + " within " + seconds + " s of typing '" + line + "'; output:\n"
                    + output().substring(mark) + "\nerrors:\n" + errors());
        }

        /** Ends the input and waits for the node to exit; returns its status. */
        int exit() throws IOException, InterruptedException {
            stdin.close();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
                throw new AssertionError("the node did not exit at end of input:\n" + output() + "\n" + errors());
            }
            return process.exitValue();
        }

        @Override
        public void close() {
            if (process.isAlive()) {
                process.destroyForcibly();
            }
        }
    }

    private static Thread pump(InputStream from, ByteArrayOutputStream to) {
        Thread t = new Thread(() -> {
            byte[] buffer = new byte[8192];
            try {
                int n;
                while ((n = from.read(buffer)) > 0) {
                    synchronized (to) {
                        to.write(buffer, 0, n);
                    }
                }
            } catch (IOException ignored) {
                // the process ended
            }
        });
        t.setDaemon(true);
        t.start();
        return t;
    }
}
