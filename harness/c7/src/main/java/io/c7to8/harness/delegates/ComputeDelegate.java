package io.c7to8.harness.delegates;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.delegate.JavaDelegate;

public class ComputeDelegate implements JavaDelegate {
  @Override
  public void execute(DelegateExecution execution) {
    Number price = (Number) execution.getVariable("price");
    Number quantity = (Number) execution.getVariable("quantity");
    double p = price == null ? 0 : price.doubleValue();
    long q = quantity == null ? 0 : quantity.longValue();
    execution.setVariable("total", p * q);
  }
}
