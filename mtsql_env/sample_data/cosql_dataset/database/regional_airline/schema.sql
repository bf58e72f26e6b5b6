-- regional_airline: part of the mtsql bundled sample data (Apache-2.0), written for mtsql.
-- Source of truth for regional_airline.sqlite; rebuild with scripts/build_sample_data.py.
PRAGMA foreign_keys = ON;

CREATE TABLE airport (
    airport_code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    city TEXT,
    country TEXT,
    elevation_m INTEGER
);

INSERT INTO airport VALUES ('NRD', 'Nordhavn International', 'Nordhavn', 'Denmark', 12);
INSERT INTO airport VALUES ('BLV', 'Bellevue Regional', 'Bellevue', 'France', 148);
INSERT INTO airport VALUES ('KST', 'Kestrel Field', 'Kestrel', 'United Kingdom', 61);
INSERT INTO airport VALUES ('ALM', 'Almeria Sur', 'Almeria', 'Spain', 21);
INSERT INTO airport VALUES ('VRN', 'Varna Lake Airport', 'Varna', 'Bulgaria', 70);
INSERT INTO airport VALUES ('TRZ', 'Trzebin Airport', 'Trzebin', 'Poland', 203);
INSERT INTO airport VALUES ('OSL', 'Oslund Central', 'Oslund', 'Norway', 208);
INSERT INTO airport VALUES ('GRZ', 'Granz Alpine', 'Granz', 'Austria', 1340);
INSERT INTO airport VALUES ('PLM', 'Palma Vista', 'Palma Vista', 'Spain', 8);
INSERT INTO airport VALUES ('RKV', 'Rekavik Field', 'Rekavik', 'Iceland', 15);
INSERT INTO airport VALUES ('MNZ', 'Monza Nord', 'Monza', 'Italy', 162);
INSERT INTO airport VALUES ('DBL', 'Dunbarrow Airport', 'Dunbarrow', 'Ireland', 74);

CREATE TABLE aircraft (
    aircraft_id INTEGER PRIMARY KEY,
    model TEXT NOT NULL,
    manufacturer TEXT,
    seats INTEGER,
    year_built INTEGER
);

INSERT INTO aircraft VALUES (1, 'A220-300', 'Airbus', 140, 2019);
INSERT INTO aircraft VALUES (2, 'A320neo', 'Airbus', 180, 2018);
INSERT INTO aircraft VALUES (3, 'A321neo', 'Airbus', 220, 2021);
INSERT INTO aircraft VALUES (4, '737-800', 'Boeing', 186, 2009);
INSERT INTO aircraft VALUES (5, '737 MAX 8', 'Boeing', 178, 2020);
INSERT INTO aircraft VALUES (6, 'E195-E2', 'Embraer', 132, 2022);
INSERT INTO aircraft VALUES (7, 'E175', 'Embraer', 88, 2012);
INSERT INTO aircraft VALUES (8, 'ATR 72-600', 'ATR', 70, 2015);
INSERT INTO aircraft VALUES (9, 'Dash 8-400', 'De Havilland', 78, 2008);
INSERT INTO aircraft VALUES (10, 'A319', 'Airbus', 144, 2006);

CREATE TABLE flight (
    flight_id INTEGER PRIMARY KEY,
    flight_number TEXT NOT NULL,
    origin_code TEXT NOT NULL,
    destination_code TEXT NOT NULL,
    aircraft_id INTEGER,
    departure_date DATE,
    departure_time TEXT,
    distance_km INTEGER,
    base_price REAL,
    status TEXT,
    FOREIGN KEY (origin_code) REFERENCES airport (airport_code),
    FOREIGN KEY (destination_code) REFERENCES airport (airport_code),
    FOREIGN KEY (aircraft_id) REFERENCES aircraft (aircraft_id)
);

INSERT INTO flight VALUES (1, 'NV107', 'ALM', 'BLV', 6, '2024-06-22', '16:20', 1183, 161.99, 'On Time');
INSERT INTO flight VALUES (2, 'NV114', 'ALM', 'MNZ', 10, '2024-04-11', '06:15', 1672, 213.99, 'Delayed');
INSERT INTO flight VALUES (3, 'NV121', 'ALM', 'OSL', 10, '2024-04-10', '07:40', 1924, 251.99, 'On Time');
INSERT INTO flight VALUES (4, 'NV128', 'ALM', 'PLM', 5, '2024-06-19', '21:10', 1701, 260.99, 'On Time');
INSERT INTO flight VALUES (5, 'NV135', 'ALM', 'VRN', 3, '2024-05-11', '09:05', 1786, 255.99, 'Cancelled');
INSERT INTO flight VALUES (6, 'NV142', 'DBL', 'MNZ', 3, '2024-04-26', '06:15', 566, 131.99, 'On Time');
INSERT INTO flight VALUES (7, 'NV149', 'GRZ', 'ALM', 6, '2024-06-01', '21:10', 1420, 204.99, 'On Time');
INSERT INTO flight VALUES (8, 'NV156', 'GRZ', 'DBL', 1, '2024-05-03', '07:40', 514, 91.99, 'On Time');
INSERT INTO flight VALUES (9, 'NV163', 'GRZ', 'KST', 1, '2024-06-21', '06:15', 1375, 217.99, 'On Time');
INSERT INTO flight VALUES (10, 'NV170', 'GRZ', 'VRN', 2, '2024-04-19', '06:15', 1942, 257.99, 'On Time');
INSERT INTO flight VALUES (11, 'NV177', 'KST', 'ALM', 4, '2024-04-22', '21:10', 1783, 269.99, 'On Time');
INSERT INTO flight VALUES (12, 'NV184', 'MNZ', 'BLV', 7, '2024-05-03', '11:30', 497, 119.99, 'On Time');
INSERT INTO flight VALUES (13, 'NV191', 'MNZ', 'TRZ', 8, '2024-06-29', '09:05', 1388, 181.99, 'Cancelled');
INSERT INTO flight VALUES (14, 'NV198', 'NRD', 'KST', 8, '2024-05-19', '11:30', 1197, 161.99, 'On Time');
INSERT INTO flight VALUES (15, 'NV205', 'NRD', 'OSL', 1, '2024-03-06', '18:45', 1275, 214.99, 'On Time');
INSERT INTO flight VALUES (16, 'NV212', 'NRD', 'PLM', 6, '2024-05-04', '18:45', 1124, 194.99, 'Delayed');
INSERT INTO flight VALUES (17, 'NV219', 'OSL', 'DBL', 10, '2024-06-18', '21:10', 628, 141.99, 'On Time');
INSERT INTO flight VALUES (18, 'NV226', 'OSL', 'GRZ', 3, '2024-04-01', '11:30', 671, 104.99, 'Cancelled');
INSERT INTO flight VALUES (19, 'NV233', 'OSL', 'KST', 8, '2024-04-19', '07:40', 1087, 157.99, 'On Time');
INSERT INTO flight VALUES (20, 'NV240', 'PLM', 'RKV', 5, '2024-05-24', '21:10', 1443, 211.99, 'On Time');
INSERT INTO flight VALUES (21, 'NV247', 'RKV', 'ALM', 10, '2024-05-29', '13:55', 799, 153.99, 'Delayed');
INSERT INTO flight VALUES (22, 'NV254', 'TRZ', 'DBL', 10, '2024-04-23', '21:10', 1085, 152.99, 'On Time');
INSERT INTO flight VALUES (23, 'NV261', 'TRZ', 'KST', 2, '2024-04-13', '16:20', 1674, 258.99, 'On Time');
INSERT INTO flight VALUES (24, 'NV268', 'TRZ', 'NRD', 4, '2024-03-11', '16:20', 482, 112.99, 'On Time');
INSERT INTO flight VALUES (25, 'NV275', 'VRN', 'NRD', 4, '2024-04-08', '11:30', 1420, 189.99, 'Cancelled');
INSERT INTO flight VALUES (26, 'NV282', 'VRN', 'TRZ', 1, '2024-05-29', '06:15', 1804, 258.99, 'On Time');
INSERT INTO flight VALUES (27, 'NV289', 'ALM', 'BLV', 6, '2024-03-26', '09:05', 1183, 203.99, 'On Time');
INSERT INTO flight VALUES (28, 'NV296', 'ALM', 'MNZ', 2, '2024-03-02', '06:15', 1672, 211.99, 'Delayed');
INSERT INTO flight VALUES (29, 'NV303', 'ALM', 'OSL', 6, '2024-03-18', '07:40', 1924, 256.99, 'Cancelled');
INSERT INTO flight VALUES (30, 'NV310', 'ALM', 'PLM', 6, '2024-05-26', '09:05', 1701, 259.99, 'On Time');
INSERT INTO flight VALUES (31, 'NV317', 'ALM', 'VRN', 2, '2024-04-24', '16:20', 1786, 230.99, 'On Time');
INSERT INTO flight VALUES (32, 'NV324', 'DBL', 'MNZ', 5, '2024-06-11', '11:30', 566, 108.99, 'Delayed');
INSERT INTO flight VALUES (33, 'NV331', 'GRZ', 'ALM', 8, '2024-06-26', '11:30', 1420, 195.99, 'On Time');
INSERT INTO flight VALUES (34, 'NV338', 'GRZ', 'DBL', 9, '2024-06-19', '21:10', 514, 117.99, 'On Time');
INSERT INTO flight VALUES (35, 'NV345', 'GRZ', 'KST', 9, '2024-03-03', '16:20', 1375, 193.99, 'On Time');
INSERT INTO flight VALUES (36, 'NV352', 'GRZ', 'VRN', 2, '2024-05-07', '11:30', 1942, 255.99, 'On Time');
INSERT INTO flight VALUES (37, 'NV359', 'KST', 'ALM', 6, '2024-05-19', '13:55', 1783, 229.99, 'Cancelled');
INSERT INTO flight VALUES (38, 'NV366', 'MNZ', 'BLV', 10, '2024-06-08', '18:45', 497, 98.99, 'Delayed');
INSERT INTO flight VALUES (39, 'NV373', 'MNZ', 'TRZ', 10, '2024-04-04', '11:30', 1388, 182.99, 'On Time');
INSERT INTO flight VALUES (40, 'NV380', 'NRD', 'KST', 6, '2024-03-29', '11:30', 1197, 205.99, 'On Time');
INSERT INTO flight VALUES (41, 'NV387', 'NRD', 'OSL', 1, '2024-06-04', '11:30', 1275, 186.99, 'On Time');
INSERT INTO flight VALUES (42, 'NV394', 'NRD', 'PLM', 8, '2024-03-31', '06:15', 1124, 195.99, 'On Time');
INSERT INTO flight VALUES (43, 'NV401', 'OSL', 'DBL', 2, '2024-05-03', '07:40', 628, 134.99, 'Delayed');
INSERT INTO flight VALUES (44, 'NV408', 'OSL', 'GRZ', 7, '2024-04-13', '13:55', 671, 109.99, 'On Time');
INSERT INTO flight VALUES (45, 'NV415', 'OSL', 'KST', 1, '2024-06-02', '16:20', 1087, 189.99, 'On Time');
INSERT INTO flight VALUES (46, 'NV422', 'PLM', 'RKV', 1, '2024-03-26', '16:20', 1443, 211.99, 'On Time');
INSERT INTO flight VALUES (47, 'NV429', 'RKV', 'ALM', 9, '2024-04-13', '09:05', 799, 123.99, 'Cancelled');
INSERT INTO flight VALUES (48, 'NV436', 'TRZ', 'DBL', 1, '2024-05-04', '09:05', 1085, 145.99, 'On Time');
INSERT INTO flight VALUES (49, 'NV443', 'TRZ', 'KST', 10, '2024-06-18', '11:30', 1674, 253.99, 'Cancelled');
INSERT INTO flight VALUES (50, 'NV450', 'TRZ', 'NRD', 9, '2024-05-17', '13:55', 482, 111.99, 'On Time');
INSERT INTO flight VALUES (51, 'NV457', 'VRN', 'NRD', 8, '2024-04-04', '09:05', 1420, 183.99, 'Delayed');
INSERT INTO flight VALUES (52, 'NV464', 'VRN', 'TRZ', 10, '2024-03-27', '16:20', 1804, 248.99, 'On Time');
INSERT INTO flight VALUES (53, 'NV471', 'ALM', 'BLV', 8, '2024-03-08', '18:45', 1183, 205.99, 'Cancelled');
INSERT INTO flight VALUES (54, 'NV478', 'ALM', 'MNZ', 3, '2024-05-20', '11:30', 1672, 253.99, 'On Time');
INSERT INTO flight VALUES (55, 'NV485', 'ALM', 'OSL', 2, '2024-06-07', '13:55', 1924, 243.99, 'Delayed');
INSERT INTO flight VALUES (56, 'NV492', 'ALM', 'PLM', 1, '2024-05-16', '07:40', 1701, 226.99, 'On Time');
INSERT INTO flight VALUES (57, 'NV499', 'ALM', 'VRN', 6, '2024-03-23', '09:05', 1786, 233.99, 'On Time');
INSERT INTO flight VALUES (58, 'NV506', 'DBL', 'MNZ', 2, '2024-06-19', '16:20', 566, 130.99, 'On Time');
INSERT INTO flight VALUES (59, 'NV513', 'GRZ', 'ALM', 2, '2024-03-10', '13:55', 1420, 214.99, 'On Time');
INSERT INTO flight VALUES (60, 'NV520', 'GRZ', 'DBL', 7, '2024-05-05', '11:30', 514, 131.99, 'On Time');
INSERT INTO flight VALUES (61, 'NV527', 'GRZ', 'KST', 7, '2024-06-20', '13:55', 1375, 177.99, 'Delayed');
INSERT INTO flight VALUES (62, 'NV534', 'GRZ', 'VRN', 4, '2024-04-19', '11:30', 1942, 243.99, 'On Time');
INSERT INTO flight VALUES (63, 'NV541', 'KST', 'ALM', 1, '2024-05-05', '16:20', 1783, 242.99, 'On Time');
INSERT INTO flight VALUES (64, 'NV548', 'MNZ', 'BLV', 1, '2024-04-12', '18:45', 497, 120.99, 'On Time');
INSERT INTO flight VALUES (65, 'NV555', 'MNZ', 'TRZ', 10, '2024-04-15', '13:55', 1388, 186.99, 'On Time');
INSERT INTO flight VALUES (66, 'NV562', 'NRD', 'KST', 3, '2024-06-24', '13:55', 1197, 184.99, 'On Time');
INSERT INTO flight VALUES (67, 'NV569', 'NRD', 'OSL', 10, '2024-04-15', '18:45', 1275, 175.99, 'On Time');
INSERT INTO flight VALUES (68, 'NV576', 'NRD', 'PLM', 3, '2024-06-12', '07:40', 1124, 171.99, 'Delayed');
INSERT INTO flight VALUES (69, 'NV583', 'OSL', 'DBL', 8, '2024-06-18', '06:15', 628, 116.99, 'On Time');
INSERT INTO flight VALUES (70, 'NV590', 'OSL', 'GRZ', 4, '2024-06-08', '06:15', 671, 117.99, 'On Time');

CREATE TABLE passenger (
    passenger_id INTEGER PRIMARY KEY,
    first_name TEXT NOT NULL,
    last_name TEXT NOT NULL,
    nationality TEXT,
    birth_date DATE,
    loyalty_tier TEXT
);

INSERT INTO passenger VALUES (1, 'Amelia', 'Costa', 'Austria', '1952-08-16', NULL);
INSERT INTO passenger VALUES (2, 'Bjorn', 'Keller', 'Ireland', '1963-02-26', 'Platinum');
INSERT INTO passenger VALUES (3, 'Camille', 'Ulrich', 'Ireland', '1977-10-23', NULL);
INSERT INTO passenger VALUES (4, 'Dario', 'Schmidt', 'France', '2005-05-14', NULL);
INSERT INTO passenger VALUES (5, 'Elin', 'Costa', 'Italy', '1992-01-29', 'Silver');
INSERT INTO passenger VALUES (6, 'Felix', 'Jansen', 'United Kingdom', '1962-08-09', 'Platinum');
INSERT INTO passenger VALUES (7, 'Greta', 'Petit', 'Italy', '1984-06-19', 'Platinum');
INSERT INTO passenger VALUES (8, 'Hamza', 'Moreno', 'United Kingdom', '2002-04-02', NULL);
INSERT INTO passenger VALUES (9, 'Ingrid', 'Larsen', 'United Kingdom', '1951-06-04', NULL);
INSERT INTO passenger VALUES (10, 'Javier', 'Esposito', 'Austria', '2002-06-27', 'Silver');
INSERT INTO passenger VALUES (11, 'Katya', 'Toth', 'Ireland', '1976-03-12', 'Gold');
INSERT INTO passenger VALUES (12, 'Lars', 'Costa', 'Spain', '1954-05-26', 'Platinum');
INSERT INTO passenger VALUES (13, 'Mila', 'Toth', 'Spain', '1986-02-11', NULL);
INSERT INTO passenger VALUES (14, 'Nikos', 'Gallagher', 'United Kingdom', '1959-08-10', NULL);
INSERT INTO passenger VALUES (15, 'Oona', 'Ivanova', 'Germany', '1977-03-08', NULL);
INSERT INTO passenger VALUES (16, 'Pavel', 'Zimmer', 'Austria', '1965-02-18', NULL);
INSERT INTO passenger VALUES (17, 'Rania', 'Olsen', 'United Kingdom', '1992-07-05', NULL);
INSERT INTO passenger VALUES (18, 'Stefan', 'Quinn', 'Italy', '1988-01-05', 'Gold');
INSERT INTO passenger VALUES (19, 'Tilde', 'Jansen', 'Ireland', '1954-07-14', NULL);
INSERT INTO passenger VALUES (20, 'Ugo', 'Berg', 'Germany', '1992-04-24', NULL);
INSERT INTO passenger VALUES (21, 'Valentina', 'Novak', 'Poland', '1985-09-27', 'Silver');
INSERT INTO passenger VALUES (22, 'Wiktor', 'Zimmer', 'Denmark', '1985-09-16', 'Silver');
INSERT INTO passenger VALUES (23, 'Yara', 'Schmidt', 'Austria', '2003-08-25', NULL);
INSERT INTO passenger VALUES (24, 'Zeno', 'Toth', 'United Kingdom', '2004-07-11', 'Silver');
INSERT INTO passenger VALUES (25, 'Aoife', 'Rossi', 'Austria', '1994-01-10', NULL);
INSERT INTO passenger VALUES (26, 'Bruno', 'Petit', 'France', '1966-09-26', NULL);
INSERT INTO passenger VALUES (27, 'Chiara', 'Olsen', 'Denmark', '1959-02-08', 'Gold');
INSERT INTO passenger VALUES (28, 'Dmitri', 'Keller', 'Germany', '1991-06-08', NULL);
INSERT INTO passenger VALUES (29, 'Eva', 'Varga', 'Norway', '1978-10-02', 'Gold');
INSERT INTO passenger VALUES (30, 'Filip', 'Ulrich', 'Spain', '1974-01-08', 'Platinum');
INSERT INTO passenger VALUES (31, 'Gianna', 'Horvath', 'Norway', '1968-04-17', 'Gold');
INSERT INTO passenger VALUES (32, 'Henrik', 'Olsen', 'United Kingdom', '1988-10-31', 'Silver');
INSERT INTO passenger VALUES (33, 'Irena', 'Gallagher', 'Austria', '2004-10-13', NULL);
INSERT INTO passenger VALUES (34, 'Jakub', 'Olsen', 'Norway', '1956-05-31', 'Gold');
INSERT INTO passenger VALUES (35, 'Klara', 'Esposito', 'France', '1984-03-25', 'Platinum');
INSERT INTO passenger VALUES (36, 'Leon', 'Keller', 'United Kingdom', '1979-10-22', NULL);
INSERT INTO passenger VALUES (37, 'Marta', 'Gallagher', 'Poland', '1968-07-02', NULL);
INSERT INTO passenger VALUES (38, 'Niamh', 'Ivanova', 'Austria', '2001-09-03', 'Platinum');
INSERT INTO passenger VALUES (39, 'Olaf', 'Larsen', 'Germany', '1953-03-20', 'Gold');
INSERT INTO passenger VALUES (40, 'Petra', 'Horvath', 'Germany', '1951-06-15', NULL);
INSERT INTO passenger VALUES (41, 'Rafael', 'Keller', 'Italy', '1951-06-21', 'Silver');
INSERT INTO passenger VALUES (42, 'Sanna', 'Schmidt', 'Ireland', '1987-12-10', NULL);
INSERT INTO passenger VALUES (43, 'Tomasz', 'Costa', 'Italy', '1954-11-14', NULL);
INSERT INTO passenger VALUES (44, 'Ulla', 'Ulrich', 'Austria', '1974-12-20', 'Gold');
INSERT INTO passenger VALUES (45, 'Viktor', 'Petit', 'Poland', '2003-05-16', 'Platinum');
INSERT INTO passenger VALUES (46, 'Wanda', 'Ulrich', 'Poland', '1954-12-28', NULL);
INSERT INTO passenger VALUES (47, 'Xavier', 'Wojcik', 'Spain', '1977-01-07', NULL);
INSERT INTO passenger VALUES (48, 'Ylva', 'Horvath', 'Germany', '1978-11-30', NULL);
INSERT INTO passenger VALUES (49, 'Zofia', 'Costa', 'France', '1951-07-21', 'Silver');
INSERT INTO passenger VALUES (50, 'Anton', 'Ulrich', 'Denmark', '1959-04-07', NULL);

CREATE TABLE booking (
    booking_id INTEGER PRIMARY KEY,
    flight_id INTEGER NOT NULL,
    passenger_id INTEGER NOT NULL,
    seat_class TEXT,
    fare REAL,
    booking_date DATE,
    checked_bags INTEGER,
    FOREIGN KEY (flight_id) REFERENCES flight (flight_id),
    FOREIGN KEY (passenger_id) REFERENCES passenger (passenger_id)
);

INSERT INTO booking VALUES (1, 61, 18, 'Economy', 193.18, '2024-05-15', 0);
INSERT INTO booking VALUES (2, 56, 5, 'Economy', 224.91, '2024-02-13', 0);
INSERT INTO booking VALUES (3, 29, 29, 'Economy', 279.17, '2024-01-17', 3);
INSERT INTO booking VALUES (4, 24, 2, 'Economy', 106.94, '2024-02-15', 3);
INSERT INTO booking VALUES (5, 49, 38, 'Economy', 252.07, '2024-06-02', 2);
INSERT INTO booking VALUES (6, 7, 6, 'Economy', 225.25, '2024-05-18', 1);
INSERT INTO booking VALUES (7, 52, 25, 'Premium Economy', 368.68, '2024-02-24', 1);
INSERT INTO booking VALUES (8, 34, 4, 'Business', 308.07, '2024-06-10', 0);
INSERT INTO booking VALUES (9, 18, 4, 'Business', 275.58, '2024-02-06', 2);
INSERT INTO booking VALUES (10, 14, 20, 'Economy', 185.63, '2024-03-17', 1);
INSERT INTO booking VALUES (11, 8, 31, 'Economy', 115.76, '2024-01-25', 0);
INSERT INTO booking VALUES (12, 4, 15, 'Economy', 265.96, '2024-05-13', 1);
INSERT INTO booking VALUES (13, 63, 18, 'Economy', 247.70, '2024-02-24', 0);
INSERT INTO booking VALUES (14, 56, 38, 'Business', 613.33, '2024-02-02', 1);
INSERT INTO booking VALUES (15, 54, 27, 'Business', 681.61, '2024-03-02', 0);
INSERT INTO booking VALUES (16, 44, 8, 'Business', 305.97, '2024-03-02', 3);
INSERT INTO booking VALUES (17, 23, 38, 'Business', 674.68, '2024-03-28', 3);
INSERT INTO booking VALUES (18, 44, 22, 'Business', 281.21, '2024-01-07', 1);
INSERT INTO booking VALUES (19, 36, 5, 'Business', 665.34, '2024-01-21', 0);
INSERT INTO booking VALUES (20, 40, 42, 'Economy', 229.51, '2023-12-09', 2);
INSERT INTO booking VALUES (21, 40, 35, 'Economy', 196.04, '2024-01-03', 0);
INSERT INTO booking VALUES (22, 26, 41, 'Business', 686.08, '2024-02-14', 0);
INSERT INTO booking VALUES (23, 37, 6, 'Premium Economy', 369.17, '2024-03-23', 1);
INSERT INTO booking VALUES (24, 3, 36, 'Economy', 268.86, '2024-03-05', 3);
INSERT INTO booking VALUES (25, 39, 47, 'Economy', 185.42, '2023-12-09', 1);
INSERT INTO booking VALUES (26, 6, 21, 'Economy', 137.48, '2024-02-26', 1);
INSERT INTO booking VALUES (27, 18, 43, 'Economy', 117.43, '2024-03-06', 2);
INSERT INTO booking VALUES (28, 3, 40, 'Economy', 261.70, '2024-02-12', 1);
INSERT INTO booking VALUES (29, 30, 26, 'Economy', 260.01, '2024-03-14', 1);
INSERT INTO booking VALUES (30, 47, 9, 'Economy', 139.36, '2024-01-22', 0);
INSERT INTO booking VALUES (31, 39, 14, 'Economy', 192.09, '2023-12-28', 1);
INSERT INTO booking VALUES (32, 58, 37, 'Economy', 129.34, '2024-03-24', 1);
INSERT INTO booking VALUES (33, 49, 28, 'Premium Economy', 379.32, '2024-04-07', 0);
INSERT INTO booking VALUES (34, 50, 46, 'Economy', 117.18, '2024-04-11', 1);
INSERT INTO booking VALUES (35, 52, 23, 'Business', 665.17, '2023-12-15', 0);
INSERT INTO booking VALUES (36, 13, 41, 'Economy', 193.32, '2024-03-09', 1);
INSERT INTO booking VALUES (37, 46, 26, 'Economy', 221.96, '2024-01-10', 0);
INSERT INTO booking VALUES (38, 63, 45, 'Economy', 252.24, '2024-01-20', 1);
INSERT INTO booking VALUES (39, 36, 18, 'Economy', 260.93, '2024-02-26', 1);
INSERT INTO booking VALUES (40, 1, 27, 'Business', 415.80, '2024-05-11', 1);
INSERT INTO booking VALUES (41, 46, 4, 'Economy', 227.95, '2024-03-08', 3);
INSERT INTO booking VALUES (42, 41, 31, 'Premium Economy', 289.90, '2024-02-16', 3);
INSERT INTO booking VALUES (43, 17, 32, 'Business', 386.03, '2024-04-02', 1);
INSERT INTO booking VALUES (44, 31, 10, 'Economy', 237.97, '2024-01-04', 3);
INSERT INTO booking VALUES (45, 3, 24, 'Economy', 257.28, '2023-12-28', 0);
INSERT INTO booking VALUES (46, 30, 26, 'Economy', 284.71, '2024-05-02', 1);
INSERT INTO booking VALUES (47, 47, 1, 'Economy', 147.03, '2024-03-03', 0);
INSERT INTO booking VALUES (48, 48, 36, 'Economy', 156.74, '2024-03-12', 3);
INSERT INTO booking VALUES (49, 35, 36, 'Business', 504.10, '2024-02-09', 1);
INSERT INTO booking VALUES (50, 34, 16, 'Premium Economy', 201.59, '2024-03-07', 2);
INSERT INTO booking VALUES (51, 59, 37, 'Economy', 222.13, '2024-03-06', 2);
INSERT INTO booking VALUES (52, 1, 12, 'Economy', 181.34, '2024-03-04', 0);
INSERT INTO booking VALUES (53, 54, 23, 'Business', 678.15, '2024-03-25', 2);
INSERT INTO booking VALUES (54, 20, 10, 'Economy', 226.43, '2024-05-12', 1);
INSERT INTO booking VALUES (55, 13, 29, 'Economy', 180.46, '2024-06-16', 3);
INSERT INTO booking VALUES (56, 45, 11, 'Business', 495.50, '2024-04-30', 0);
INSERT INTO booking VALUES (57, 19, 28, 'Economy', 154.57, '2024-02-18', 3);
INSERT INTO booking VALUES (58, 36, 23, 'Economy', 269.08, '2024-02-04', 1);
INSERT INTO booking VALUES (59, 39, 43, 'Economy', 182.17, '2024-03-14', 0);
INSERT INTO booking VALUES (60, 52, 24, 'Economy', 254.63, '2024-02-20', 1);
INSERT INTO booking VALUES (61, 2, 11, 'Economy', 212.16, '2024-04-06', 1);
INSERT INTO booking VALUES (62, 53, 21, 'Premium Economy', 319.41, '2023-12-28', 3);
INSERT INTO booking VALUES (63, 39, 33, 'Economy', 194.50, '2024-01-25', 3);
INSERT INTO booking VALUES (64, 21, 38, 'Economy', 153.29, '2024-04-30', 0);
INSERT INTO booking VALUES (65, 35, 29, 'Economy', 195.15, '2023-12-12', 3);
INSERT INTO booking VALUES (66, 44, 12, 'Economy', 122.40, '2024-04-08', 1);
INSERT INTO booking VALUES (67, 39, 24, 'Economy', 204.37, '2024-01-29', 1);
INSERT INTO booking VALUES (68, 59, 36, 'Economy', 227.13, '2024-03-07', 1);
INSERT INTO booking VALUES (69, 33, 40, 'Economy', 202.01, '2024-05-09', 0);
INSERT INTO booking VALUES (70, 53, 30, 'Economy', 216.82, '2024-01-27', 1);
INSERT INTO booking VALUES (71, 65, 27, 'Economy', 186.47, '2024-02-26', 3);
INSERT INTO booking VALUES (72, 2, 26, 'Business', 566.80, '2024-01-05', 3);
INSERT INTO booking VALUES (73, 24, 9, 'Business', 302.73, '2024-03-04', 1);
INSERT INTO booking VALUES (74, 15, 32, 'Economy', 226.99, '2024-01-01', 0);
INSERT INTO booking VALUES (75, 23, 34, 'Economy', 269.76, '2024-03-22', 2);
INSERT INTO booking VALUES (76, 40, 39, 'Economy', 199.25, '2024-02-07', 1);
INSERT INTO booking VALUES (77, 60, 12, 'Economy', 125.69, '2024-05-03', 1);
INSERT INTO booking VALUES (78, 14, 17, 'Economy', 167.24, '2024-03-30', 0);
INSERT INTO booking VALUES (79, 21, 19, 'Economy', 158.09, '2024-02-28', 1);
INSERT INTO booking VALUES (80, 44, 13, 'Economy', 104.52, '2024-01-11', 0);
INSERT INTO booking VALUES (81, 20, 4, 'Economy', 229.44, '2024-03-02', 1);
INSERT INTO booking VALUES (82, 14, 4, 'Economy', 182.06, '2024-05-18', 1);
INSERT INTO booking VALUES (83, 50, 28, 'Economy', 103.19, '2024-05-12', 0);
INSERT INTO booking VALUES (84, 62, 28, 'Economy', 245.84, '2024-03-15', 0);
INSERT INTO booking VALUES (85, 3, 7, 'Business', 667.97, '2024-02-13', 0);
INSERT INTO booking VALUES (86, 66, 14, 'Business', 494.54, '2024-03-04', 3);
INSERT INTO booking VALUES (87, 28, 37, 'Economy', 224.27, '2024-02-29', 1);
INSERT INTO booking VALUES (88, 60, 4, 'Economy', 155.73, '2024-02-19', 3);
INSERT INTO booking VALUES (89, 6, 30, 'Premium Economy', 221.30, '2024-03-11', 3);
INSERT INTO booking VALUES (90, 1, 42, 'Economy', 161.22, '2024-04-16', 3);
INSERT INTO booking VALUES (91, 24, 24, 'Economy', 122.73, '2024-01-13', 1);
INSERT INTO booking VALUES (92, 18, 34, 'Economy', 95.06, '2023-12-11', 0);
INSERT INTO booking VALUES (93, 30, 13, 'Economy', 263.70, '2024-05-15', 1);
INSERT INTO booking VALUES (94, 4, 41, 'Economy', 281.35, '2024-04-23', 0);
INSERT INTO booking VALUES (95, 46, 5, 'Premium Economy', 314.29, '2024-01-23', 1);
INSERT INTO booking VALUES (96, 64, 39, 'Premium Economy', 198.82, '2024-01-28', 0);
INSERT INTO booking VALUES (97, 5, 28, 'Economy', 249.17, '2024-01-27', 0);
INSERT INTO booking VALUES (98, 26, 23, 'Economy', 269.40, '2024-04-28', 1);
INSERT INTO booking VALUES (99, 54, 39, 'Economy', 255.46, '2024-04-02', 1);
INSERT INTO booking VALUES (100, 46, 46, 'Economy', 206.48, '2024-02-20', 1);
INSERT INTO booking VALUES (101, 56, 29, 'Business', 600.03, '2024-03-07', 1);
INSERT INTO booking VALUES (102, 55, 35, 'Economy', 253.07, '2024-06-01', 0);
INSERT INTO booking VALUES (103, 66, 22, 'Business', 498.69, '2024-05-25', 0);
INSERT INTO booking VALUES (104, 60, 17, 'Economy', 125.68, '2024-03-07', 1);
INSERT INTO booking VALUES (105, 2, 13, 'Economy', 219.99, '2024-01-23', 0);
INSERT INTO booking VALUES (106, 62, 1, 'Business', 647.32, '2024-02-18', 0);
INSERT INTO booking VALUES (107, 6, 17, 'Economy', 150.95, '2024-01-28', 0);
INSERT INTO booking VALUES (108, 41, 11, 'Economy', 181.64, '2024-02-24', 0);
INSERT INTO booking VALUES (109, 28, 30, 'Economy', 220.30, '2024-01-07', 3);
INSERT INTO booking VALUES (110, 41, 30, 'Economy', 181.30, '2024-02-12', 2);
INSERT INTO booking VALUES (111, 27, 29, 'Economy', 211.52, '2024-02-01', 0);
INSERT INTO booking VALUES (112, 41, 32, 'Business', 488.63, '2024-03-17', 1);
INSERT INTO booking VALUES (113, 15, 39, 'Economy', 209.12, '2024-02-06', 1);
INSERT INTO booking VALUES (114, 56, 34, 'Business', 587.52, '2024-04-13', 1);
INSERT INTO booking VALUES (115, 11, 45, 'Economy', 278.62, '2024-02-01', 1);
INSERT INTO booking VALUES (116, 56, 18, 'Economy', 224.33, '2024-04-03', 2);
INSERT INTO booking VALUES (117, 20, 18, 'Economy', 208.45, '2024-04-20', 2);
INSERT INTO booking VALUES (118, 41, 26, 'Economy', 205.21, '2024-05-09', 1);
INSERT INTO booking VALUES (119, 33, 45, 'Economy', 204.64, '2024-05-21', 1);
INSERT INTO booking VALUES (120, 41, 11, 'Economy', 179.98, '2024-03-10', 1);
INSERT INTO booking VALUES (121, 3, 29, 'Business', 673.53, '2024-04-09', 1);
INSERT INTO booking VALUES (122, 63, 47, 'Economy', 263.31, '2024-02-13', 0);
INSERT INTO booking VALUES (123, 23, 2, 'Economy', 267.31, '2024-01-01', 3);
INSERT INTO booking VALUES (124, 27, 5, 'Economy', 203.19, '2024-01-13', 1);
INSERT INTO booking VALUES (125, 49, 15, 'Business', 664.65, '2024-03-18', 3);
INSERT INTO booking VALUES (126, 14, 8, 'Economy', 185.99, '2024-03-01', 3);
INSERT INTO booking VALUES (127, 21, 3, 'Economy', 175.83, '2024-04-19', 1);
INSERT INTO booking VALUES (128, 24, 29, 'Economy', 113.06, '2024-01-23', 1);
INSERT INTO booking VALUES (129, 28, 23, 'Economy', 205.81, '2023-11-15', 1);
INSERT INTO booking VALUES (130, 35, 13, 'Economy', 212.24, '2023-12-07', 1);
INSERT INTO booking VALUES (131, 44, 12, 'Economy', 106.01, '2023-12-22', 2);
INSERT INTO booking VALUES (132, 44, 24, 'Business', 278.08, '2023-12-26', 0);
INSERT INTO booking VALUES (133, 3, 16, 'Economy', 263.70, '2024-02-13', 1);
INSERT INTO booking VALUES (134, 17, 3, 'Economy', 137.09, '2024-02-22', 1);
INSERT INTO booking VALUES (135, 1, 12, 'Premium Economy', 262.37, '2024-03-17', 0);
INSERT INTO booking VALUES (136, 19, 31, 'Business', 418.63, '2024-03-02', 1);
INSERT INTO booking VALUES (137, 61, 8, 'Business', 458.10, '2024-05-09', 0);
INSERT INTO booking VALUES (138, 46, 23, 'Economy', 235.33, '2024-01-13', 1);
INSERT INTO booking VALUES (139, 42, 24, 'Economy', 200.18, '2023-12-26', 1);
INSERT INTO booking VALUES (140, 62, 20, 'Premium Economy', 388.18, '2024-02-18', 1);
INSERT INTO booking VALUES (141, 25, 24, 'Economy', 189.09, '2024-03-22', 1);
INSERT INTO booking VALUES (142, 17, 8, 'Economy', 154.45, '2024-04-02', 1);
INSERT INTO booking VALUES (143, 2, 20, 'Business', 573.28, '2024-02-19', 2);
INSERT INTO booking VALUES (144, 2, 26, 'Economy', 208.97, '2023-12-20', 3);
INSERT INTO booking VALUES (145, 61, 37, 'Economy', 186.64, '2024-03-28', 3);
INSERT INTO booking VALUES (146, 2, 15, 'Economy', 233.45, '2024-01-31', 2);
INSERT INTO booking VALUES (147, 41, 28, 'Economy', 200.81, '2024-05-14', 1);
INSERT INTO booking VALUES (148, 30, 41, 'Economy', 254.62, '2024-04-24', 1);
INSERT INTO booking VALUES (149, 54, 41, 'Economy', 254.28, '2024-02-08', 0);
INSERT INTO booking VALUES (150, 61, 31, 'Economy', 171.16, '2024-03-18', 0);
INSERT INTO booking VALUES (151, 30, 42, 'Business', 698.50, '2024-04-17', 3);
INSERT INTO booking VALUES (152, 25, 26, 'Economy', 195.63, '2023-12-18', 1);
INSERT INTO booking VALUES (153, 1, 26, 'Business', 418.70, '2024-06-20', 3);
INSERT INTO booking VALUES (154, 53, 2, 'Economy', 218.19, '2023-11-13', 1);
INSERT INTO booking VALUES (155, 36, 7, 'Premium Economy', 383.10, '2024-03-22', 1);
INSERT INTO booking VALUES (156, 3, 43, 'Economy', 264.76, '2024-03-28', 3);
INSERT INTO booking VALUES (157, 36, 10, 'Economy', 251.98, '2024-03-12', 3);
INSERT INTO booking VALUES (158, 59, 35, 'Economy', 233.75, '2024-03-09', 1);
INSERT INTO booking VALUES (159, 8, 31, 'Economy', 105.64, '2024-01-20', 0);
INSERT INTO booking VALUES (160, 48, 27, 'Economy', 162.31, '2024-01-13', 1);
INSERT INTO booking VALUES (161, 29, 12, 'Economy', 259.74, '2024-01-09', 2);
INSERT INTO booking VALUES (162, 25, 39, 'Economy', 193.81, '2024-04-04', 2);
INSERT INTO booking VALUES (163, 30, 30, 'Economy', 252.67, '2024-01-29', 0);
INSERT INTO booking VALUES (164, 8, 44, 'Economy', 109.87, '2024-01-16', 1);
INSERT INTO booking VALUES (165, 56, 23, 'Economy', 236.18, '2024-02-12', 2);
INSERT INTO booking VALUES (166, 13, 2, 'Economy', 184.47, '2024-03-01', 3);
INSERT INTO booking VALUES (167, 17, 24, 'Economy', 163.59, '2024-05-02', 2);
INSERT INTO booking VALUES (168, 19, 12, 'Economy', 176.64, '2024-03-28', 1);
INSERT INTO booking VALUES (169, 41, 13, 'Economy', 186.53, '2024-05-10', 0);
INSERT INTO booking VALUES (170, 25, 21, 'Economy', 181.60, '2024-02-14', 0);
INSERT INTO booking VALUES (171, 26, 20, 'Economy', 265.89, '2024-04-18', 0);
INSERT INTO booking VALUES (172, 49, 26, 'Economy', 265.05, '2024-05-13', 1);
INSERT INTO booking VALUES (173, 25, 40, 'Premium Economy', 308.04, '2023-12-11', 1);
INSERT INTO booking VALUES (174, 58, 8, 'Economy', 153.48, '2024-05-13', 1);
INSERT INTO booking VALUES (175, 8, 44, 'Economy', 104.43, '2024-01-06', 1);
INSERT INTO booking VALUES (176, 55, 35, 'Premium Economy', 361.51, '2024-05-10', 1);
INSERT INTO booking VALUES (177, 48, 44, 'Premium Economy', 218.46, '2024-01-19', 2);
INSERT INTO booking VALUES (178, 39, 12, 'Economy', 182.27, '2024-03-02', 1);
INSERT INTO booking VALUES (179, 37, 33, 'Economy', 240.25, '2024-02-24', 1);
INSERT INTO booking VALUES (180, 22, 29, 'Business', 402.29, '2024-02-10', 1);
INSERT INTO booking VALUES (181, 30, 9, 'Premium Economy', 384.71, '2024-02-27', 1);
INSERT INTO booking VALUES (182, 10, 42, 'Economy', 259.43, '2024-04-02', 1);
INSERT INTO booking VALUES (183, 36, 19, 'Economy', 248.43, '2024-04-07', 1);
INSERT INTO booking VALUES (184, 43, 4, 'Economy', 130.66, '2024-02-29', 1);
INSERT INTO booking VALUES (185, 27, 32, 'Business', 551.20, '2023-12-24', 2);
INSERT INTO booking VALUES (186, 43, 47, 'Business', 359.85, '2024-02-15', 2);
INSERT INTO booking VALUES (187, 40, 22, 'Business', 546.12, '2023-12-14', 3);
INSERT INTO booking VALUES (188, 62, 15, 'Economy', 243.32, '2023-12-27', 0);
INSERT INTO booking VALUES (189, 18, 44, 'Business', 279.97, '2023-12-16', 3);
INSERT INTO booking VALUES (190, 31, 42, 'Economy', 250.18, '2024-01-15', 2);
INSERT INTO booking VALUES (191, 31, 10, 'Economy', 241.09, '2024-04-03', 1);
INSERT INTO booking VALUES (192, 14, 5, 'Economy', 181.37, '2024-02-06', 2);
INSERT INTO booking VALUES (193, 45, 8, 'Economy', 201.15, '2024-04-09', 1);
INSERT INTO booking VALUES (194, 28, 43, 'Economy', 235.75, '2023-11-24', 3);
INSERT INTO booking VALUES (195, 60, 28, 'Economy', 127.71, '2024-03-07', 0);
INSERT INTO booking VALUES (196, 49, 47, 'Economy', 254.29, '2024-03-12', 1);
INSERT INTO booking VALUES (197, 42, 42, 'Economy', 197.66, '2024-02-29', 1);
INSERT INTO booking VALUES (198, 22, 28, 'Business', 416.68, '2024-02-05', 0);
INSERT INTO booking VALUES (199, 10, 12, 'Economy', 281.55, '2024-03-26', 1);
INSERT INTO booking VALUES (200, 7, 32, 'Premium Economy', 309.41, '2024-04-18', 3);
INSERT INTO booking VALUES (201, 19, 5, 'Economy', 179.16, '2024-03-18', 0);
INSERT INTO booking VALUES (202, 53, 15, 'Business', 558.79, '2023-11-19', 0);
INSERT INTO booking VALUES (203, 12, 35, 'Business', 335.62, '2024-01-04', 2);
INSERT INTO booking VALUES (204, 35, 16, 'Economy', 193.25, '2023-11-25', 1);
INSERT INTO booking VALUES (205, 61, 46, 'Economy', 197.30, '2024-04-18', 1);
INSERT INTO booking VALUES (206, 26, 37, 'Premium Economy', 412.42, '2024-05-02', 3);
INSERT INTO booking VALUES (207, 44, 39, 'Economy', 100.07, '2023-12-18', 3);
INSERT INTO booking VALUES (208, 53, 25, 'Economy', 220.20, '2023-11-30', 0);
INSERT INTO booking VALUES (209, 52, 21, 'Premium Economy', 387.46, '2024-03-08', 1);
INSERT INTO booking VALUES (210, 54, 31, 'Economy', 265.66, '2024-03-01', 1);
INSERT INTO booking VALUES (211, 60, 32, 'Economy', 153.20, '2024-05-04', 3);
INSERT INTO booking VALUES (212, 60, 38, 'Premium Economy', 204.41, '2024-04-10', 1);
INSERT INTO booking VALUES (213, 23, 43, 'Business', 664.03, '2023-12-20', 1);
INSERT INTO booking VALUES (214, 44, 34, 'Economy', 110.53, '2024-03-14', 1);
INSERT INTO booking VALUES (215, 23, 24, 'Economy', 249.86, '2024-01-06', 1);
INSERT INTO booking VALUES (216, 8, 18, 'Economy', 109.75, '2024-01-04', 1);
INSERT INTO booking VALUES (217, 23, 44, 'Business', 668.87, '2024-03-23', 0);
INSERT INTO booking VALUES (218, 49, 6, 'Economy', 268.85, '2024-04-10', 1);
INSERT INTO booking VALUES (219, 9, 6, 'Economy', 229.91, '2024-06-13', 2);
INSERT INTO booking VALUES (220, 20, 30, 'Economy', 217.64, '2024-04-17', 2);
