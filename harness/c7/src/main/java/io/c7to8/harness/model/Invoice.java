package io.c7to8.harness.model;

import java.io.Serializable;
import java.math.BigDecimal;
import java.util.Date;

/** Java-serialized shape 5: Date and BigDecimal fields. */
public class Invoice implements Serializable {
  private static final long serialVersionUID = 1L;
  public String number;
  public Date issued;
  public BigDecimal amount;

  public Invoice() {}

  public Invoice(String number, Date issued, BigDecimal amount) {
    this.number = number;
    this.issued = issued;
    this.amount = amount;
  }
}
