package io.halo.contract;

import java.util.HashSet;
import java.util.Set;

import org.junit.runner.Description;
import org.junit.runner.JUnitCore;
import org.junit.runner.notification.Failure;
import org.junit.runner.notification.RunListener;

/**
 * Runs the contract suites named on the command line (Suites' nested
 * classes) and prints one line per case: PASS, FAIL or SKIP, its
 * Suite.method name and, for the last two, why on the same line.
 */
public final class Runner {
  private Runner() {}

  public static void main(String[] args) throws ClassNotFoundException {
    JUnitCore core = new JUnitCore();
    core.addListener(new Report());
    Class<?>[] suites = new Class<?>[args.length];
    for (int i = 0; i < args.length; i++) {
      suites[i] = Class.forName(Suites.class.getName() + "$" + args[i]);
    }
    core.run(suites);
    System.out.flush();
    System.exit(0);
  }

  private static final class Report extends RunListener {
    private final Set<Description> reported = new HashSet<>();

    @Override
    public void testFailure(Failure failure) {
      print("FAIL", failure.getDescription(), failure.getException());
    }

    @Override
    public void testAssumptionFailure(Failure failure) {
      print("SKIP", failure.getDescription(), failure.getException());
    }

    @Override
    public void testIgnored(Description description) {
      print("SKIP", description, null);
    }

    @Override
    public void testFinished(Description description) {
      print("PASS", description, null);
    }

    private void print(String outcome, Description d, Throwable why) {
      if (!reported.add(d)) {
        return;
      }
      String suite = d.getTestClass() == null ? d.getClassName() : d.getTestClass().getSimpleName();
      String line = outcome + " " + suite + "." + d.getMethodName();
      if (why != null) {
        line += ": " + why.getClass().getSimpleName() + ": " + String.valueOf(why.getMessage()).replace('\n', ' ');
      }
      System.out.println(line);
    }
  }
}
