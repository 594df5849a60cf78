package io.c7to8.harness.delegates;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.delegate.JavaDelegate;

/** Fails while the process variable {@code fail} is true. */
public class FlakyDelegate implements JavaDelegate {
  @Override
  public void execute(DelegateExecution execution) {
    if (Boolean.TRUE.equals(execution.getVariable("fail"))) {
      throw new IllegalStateException("Simulated failure in " + execution.getCurrentActivityId());
    }
  }
}
