package io.c7to8.harness.delegates;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.delegate.JavaDelegate;

/** Bench: derives the customer category from the order amount. */
public class EnrichDelegate implements JavaDelegate {
  @Override
  public void execute(DelegateExecution execution) {
    Number amount = (Number) execution.getVariable("amount");
    double a = amount == null ? 0 : amount.doubleValue();
    execution.setVariable("category", a >= 500 ? "gold" : a >= 100 ? "silver" : "bronze");
  }
}
