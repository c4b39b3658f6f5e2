/** Common Swedish given names and surnames, for the synthetic people and staff. */

export const FEMALE_NAMES = [
  'Anna', 'Eva', 'Maria', 'Karin', 'Kristina', 'Lena', 'Sara', 'Kerstin', 'Emma', 'Ingrid', 'Marie', 'Malin',
  'Birgitta', 'Jenny', 'Inger', 'Annika', 'Linda', 'Susanne', 'Elin', 'Monica', 'Hanna', 'Ulla', 'Johanna',
  'Elsa', 'Alice', 'Maja', 'Astrid', 'Wilma', 'Ebba', 'Freja', 'Olivia', 'Ella', 'Signe', 'Agnes', 'Saga',
];

export const MALE_NAMES = [
  'Lars', 'Mikael', 'Anders', 'Johan', 'Per', 'Erik', 'Karl', 'Peter', 'Jan', 'Thomas', 'Daniel', 'Fredrik',
  'Hans', 'Andreas', 'Stefan', 'Mats', 'Marcus', 'Magnus', 'Jonas', 'Bengt', 'Oskar', 'Nils', 'Gustav',
  'William', 'Hugo', 'Lucas', 'Liam', 'Noah', 'Adam', 'Elias', 'Vincent', 'Alexander', 'Axel', 'Leo', 'Viktor',
];

export const SURNAMES = [
  'Andersson', 'Johansson', 'Karlsson', 'Nilsson', 'Eriksson', 'Larsson', 'Olsson', 'Persson', 'Svensson',
  'Gustafsson', 'Pettersson', 'Jonsson', 'Jansson', 'Hansson', 'Bengtsson', 'Jönsson', 'Lindberg', 'Jakobsson',
  'Magnusson', 'Olofsson', 'Lindström', 'Lindqvist', 'Lindgren', 'Berg', 'Axelsson', 'Bergström', 'Lundberg',
  'Lind', 'Lundgren', 'Lundqvist', 'Mattsson', 'Berglund', 'Fredriksson', 'Sandberg', 'Henriksson', 'Forsberg',
  'Sjöberg', 'Wallin', 'Engström', 'Danielsson', 'Håkansson', 'Eklund', 'Lundin', 'Gunnarsson', 'Holm',
  'Samuelsson', 'Fransson', 'Bergqvist', 'Nyström', 'Holmberg', 'Arvidsson', 'Löfgren', 'Söderberg', 'Nyberg',
];

export const STREETS = [
  'Storgatan', 'Kyrkogatan', 'Skolgatan', 'Parkvägen', 'Björkvägen', 'Granvägen', 'Ekvägen', 'Lärkvägen',
  'Strandvägen', 'Västra vägen', 'Norra Allén', 'Södra vägen', 'Ängsvägen', 'Tallvägen', 'Bokvägen', 'Hamngatan',
  'Järnvägsgatan', 'Torggatan', 'Åsvägen', 'Rosenvägen', 'Liljevägen', 'Ringvägen', 'Solvägen', 'Havsvägen',
];
