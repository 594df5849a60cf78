package io.c7to8.harness.model;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Java-serialized shape 3: List and Map fields. */
public class Basket implements Serializable {
  private static final long serialVersionUID = 1L;
  public List<String> tags = new ArrayList<>();
  public Map<String, Integer> scores = new LinkedHashMap<>();
  public List<Address> addresses = new ArrayList<>();
}
