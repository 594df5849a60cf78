package io.c7to8.harness.model;

import java.io.Serializable;

public class Address implements Serializable {
  private static final long serialVersionUID = 1L;
  public String street;
  public String city;
  public String zip;

  public Address() {}

  public Address(String street, String city, String zip) {
    this.street = street;
    this.city = city;
    this.zip = zip;
  }
}
